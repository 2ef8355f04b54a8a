import type { AuditEvent } from "@/lib/review/case-detail";

const actionLabels: Record<string, string> = {
  "verification.created": "Verification created",
  "image.viewed": "Image viewed",
  "case.claimed": "Case claimed",
  "case.released": "Case released",
  "case.decided": "Decision",
  "case.approval_proposed": "Approval proposed (needs a second reviewer)",
  "case.approval_confirmed": "Approval confirmed",
  "case.approval_declined": "Approval turned down",
  "case.reopened": "Reopened for review",
  "duplicate.verdict": "Possible duplicate: verdict",
  "images.purged": "Images purged (retention)",
  "subject.erased": "Subject erased",
};

function summary(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value !== "object") return String(value);
  return Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(" · ");
}

/** The per-verification audit trail: who did what, when, before and after, with each event's chain hash. */
export function AuditTrail({ events, names }: { events: AuditEvent[]; names: Record<string, string> }) {
  return (
    <section className="panel" aria-label="Audit trail">
      <h2>Audit trail</h2>
      <p className="muted small">
        Each event holds the hash of the one before it; <code>npm run vigil -- audit verify</code> checks the whole chain.
      </p>
      <table className="audit" data-testid="audit-trail">
        <thead>
          <tr>
            <th>Time (UTC)</th>
            <th>Who</th>
            <th>What</th>
            <th>Before</th>
            <th>After</th>
            <th>Hash</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.seq}>
              <td>{e.at.toISOString().replace("T", " ").slice(0, 23)}</td>
              <td>{names[e.actor] ?? e.actor}</td>
              <td>{actionLabels[e.action] ?? e.action}</td>
              <td className="small">{summary(e.before)}</td>
              <td className="small">{summary(e.after)}</td>
              <td>
                <code title={`previous ${e.prevHash}`}>{e.hash.slice(0, 10)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
