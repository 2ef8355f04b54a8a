const attackLabels: Record<string, string> = { screen: "Screen recapture", print: "Print or photocopy", digital: "Digital image" };

interface SideDetails {
  score: number;
  kind: string | null;
  decidedBy: string | null;
  attacks: Record<string, { probability: number; cues: Record<string, { probability: number; value: number; why: string }> }> | null;
  camera?: { exif: boolean; make: string | null; model: string | null };
}

function Probability({ value }: { value: number }) {
  const tone = value >= 0.75 ? "reject" : value >= 0.5 ? "review" : "approve";
  return (
    <span className={`badge ${tone}`} title="Probability of this attack">
      {(value * 100).toFixed(0)}%
    </span>
  );
}

/**
 * Why a document scored as it did: per side, each attack type's probability and the cues
 * behind it, each with the one line a reviewer can check against the image. The score is
 * 1 - the most probable attack, and with a back side the lower of the two sides.
 */
export function DocumentCues({ details }: { details: Record<string, unknown> }) {
  const sides = (["front", "back"] as const).map((side) => [side, details[side] as SideDetails | null | undefined] as const).filter((entry): entry is readonly ["front" | "back", SideDetails] => !!entry[1]);
  return (
    <div className="document-cues" data-testid="document-cues">
      {sides.map(([side, d]) => (
        <div key={side}>
          <h3>
            {side === "front" ? "Front" : "Back"} side · {d.kind === "passport" ? "passport page" : d.kind === "id1" ? "ID card" : "document"} · score {d.score.toFixed(3)}
            {d.decidedBy ? <span className="muted"> (decided by {attackLabels[d.decidedBy]?.toLowerCase() ?? d.decidedBy})</span> : null}
          </h3>
          {d.attacks ? (
            <ul className="plain small">
              {Object.entries(d.attacks).map(([attack, a]) => (
                <li key={attack}>
                  <strong>{attackLabels[attack] ?? attack}</strong> <Probability value={a.probability} />
                  <ul className="cue-list">
                    {Object.entries(a.cues).map(([name, cue]) => (
                      <li key={name}>
                        <Probability value={cue.probability} /> <code>{name}</code> {cue.why}
                      </li>
                    ))}
                  </ul>
                </li>
              ))}
            </ul>
          ) : null}
          {d.camera ? <p className="muted small">Camera metadata: {d.camera.exif ? [d.camera.make, d.camera.model].filter(Boolean).join(" ") || "EXIF present" : "none"}</p> : null}
        </div>
      ))}
      <p className="muted small">These cues are physical measurements, calibrated on synthetic specimens (see the README): read them as evidence to check, not as proof.</p>
    </div>
  );
}
