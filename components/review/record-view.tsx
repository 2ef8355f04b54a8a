import Link from "next/link";
import type { ReactNode } from "react";
import { checkLabels, statusLabels } from "@/components/console/format";
import type { ConsoleUser } from "@/lib/auth/users";
import { CONFIDENT_FACE_SCORE } from "@/lib/inference/detect";
import type { FaceQuality } from "@/lib/inference/face";
import type { RecordDetail } from "@/lib/review/case-detail";
import { imageUrlPath } from "@/lib/storage";
import { bandFor } from "@/lib/verification/policy";
import type { StoredImage } from "@/lib/verification/service";
import { AuditTrail } from "./audit-trail";
import { DocumentCues } from "./document-cues";
import type { DuplicateCandidateView } from "./duplicate-panel";
import { DuplicatePanel } from "./duplicate-panel";
import { DuplicateVerdictsProvider } from "./duplicate-verdicts";
import type { ViewerImage } from "./case-images";
import { CaseImages } from "./case-images";
import { QualityFlags } from "./quality-flags";
import { ScoreBand } from "./score-band";

/** Left to right as a reviewer compares: the live selfie, then what it is matched against, then the whole document. */
const roleOrder: Record<StoredImage["role"], number> = { selfie: 0, portrait: 1, reference: 2, gallery: 3, document: 4 };

/**
 * A verification as reviewers see it: images side by side with faces drawn, every score on its
 * bands under the policy version applied, quality, models, related verifications and the audit
 * trail. Image links are signed for the viewer, so each view is attributed in the audit log.
 */
export function RecordView({
  detail,
  viewer,
  heading,
  duplicateCaseId = null,
  children,
}: {
  detail: RecordDetail;
  viewer: ConsoleUser;
  heading: string;
  /** The case whose possible duplicates the viewer may give verdicts on (they hold it); otherwise they are shown read-only. */
  duplicateCaseId?: string | null;
  children?: ReactNode;
}) {
  const { record, policy, project } = detail;
  const images: ViewerImage[] = [...record.images]
    .sort((a, b) => roleOrder[a.role] - roleOrder[b.role] || a.position - b.position)
    .map((image) => ({ id: image.id, role: image.role, url: imageUrlPath(image.id, viewer.actor), width: image.width, height: image.height, faces: image.faces.faces, outline: image.faces.outline ?? null }));
  const selfie = record.images.find((i) => i.role === "selfie");
  const selfieImage = images.find((i) => i.role === "selfie");
  const name = (actor: string | null) => (actor ? (detail.names[actor] ?? actor) : null);
  // The similarity to an enrolled face is on the face-match scale, under the policy the verification was decided with.
  const duplicates: DuplicateCandidateView[] = detail.duplicates.map((d) => ({
    id: d.id,
    personName: d.personName,
    externalRef: d.externalRef,
    galleryHref: d.personId ? `/gallery/${d.personId}?project=${project.slug}` : null,
    similarity: d.similarity,
    band: bandFor(d.similarity, policy.bands.face_match),
    images: [
      ...(selfieImage ? [selfieImage] : []),
      ...(d.face ? [{ id: d.face.id, role: "gallery" as const, label: "Enrolled face", url: imageUrlPath(d.face.id, viewer.actor), width: d.face.width, height: d.face.height, faces: d.face.faces }] : []),
    ],
  }));
  const verdicts = detail.duplicates.map((d) => ({ candidateId: d.id, personName: d.personName, verdict: d.verdict, by: name(d.decidedBy), at: d.decidedAt?.toISOString() ?? null }));
  return (
    <DuplicateVerdictsProvider key={record.id} initial={verdicts}>
      <main className="wide case">
        <div className="page-head">
          <div>
            <h1>{heading}</h1>
            <p className="muted">
              {project.name} · {record.type.replaceAll("_", " ")} · via {record.source} · {record.createdAt.toISOString().replace("T", " ").slice(0, 19)} UTC
              {record.externalRef ? ` · ref ${record.externalRef}` : ""} ·{" "}
              <Link href={`/records/${record.id}`} prefetch={false}>
                {record.id}
              </Link>
            </p>
          </div>
          <span className={`status ${record.status}`} data-testid="record-status">
            {statusLabels[record.status] ?? record.status}
          </span>
        </div>

        {children}

        {images.length > 0 ? <CaseImages key={record.id} images={images} /> : <p className="notice">The images of this verification were purged (retention); scores and decisions remain.</p>}

        {duplicates.length > 0 ? (
          <DuplicatePanel
            key={`duplicates-${record.id}`}
            candidates={duplicates}
            caseId={duplicateCaseId}
            viewerName={viewer.email}
            limits={policy.bands.face_match}
            policyVersion={policy.version}
          />
        ) : null}

        <div className="columns">
          <section className="panel" aria-label="Scores">
            <h2>Scores</h2>
            {record.checks.map((check) => (
              <ScoreBand
                key={check.check}
                label={checkLabels[check.check] ?? check.check}
                score={check.score}
                band={check.band}
                // The duplicate check scores similarity to an enrolled person on the face-match scale.
                limits={policy.bands[check.check === "duplicate" ? "face_match" : check.check]}
                policyVersion={policy.version}
                note={
                check.status === "skipped"
                  ? String(check.details.skipped ?? "skipped")
                  : check.check === "duplicate"
                    ? "closest enrolled person; any candidate at or above review goes to a reviewer"
                    : undefined
              }
              />
            ))}
            <p className="muted small">
              Overall band: <strong>{record.band ?? "none"}</strong> under policy v{policy.version}.
            </p>
            {record.checks
              .filter((check) => check.check === "document_liveness" && check.status === "done")
              .map((check) => (
                <DocumentCues key={check.check} details={check.details} />
              ))}
            <h3>Models</h3>
            <ul className="plain small">
              {record.checks.map((check) => (
                <li key={check.check}>
                  {checkLabels[check.check]}: <code>{check.model.id}</code> ({check.model.version})
                </li>
              ))}
            </ul>
          </section>
          <section className="panel" aria-label="Quality">
            <h2>Face quality</h2>
            {record.images
              .filter((i) => i.role !== "document")
              .map((image) => (
                <div key={image.id} className="quality-row">
                  <span className="muted">
                    {image.role}
                    {image.role === "selfie" ? "" : ` ${image.position + 1}`}
                  </span>
                  <QualityFlags quality={image.faces.quality as FaceQuality | null} otherConfidentFaces={image.faces.faces.slice(1).filter((f) => f.score >= CONFIDENT_FACE_SCORE).length} />
                </div>
              ))}
            {selfie ? null : <p className="muted">No selfie.</p>}
            <h3>Related verifications</h3>
            {detail.related.length === 0 ? (
              <p className="muted small">None with the same image, reference or API key.</p>
            ) : (
              <ul className="plain small" data-testid="related">
                {detail.related.map((r) => (
                  <li key={r.id}>
                    <Link href={`/records/${r.id}`} prefetch={false}>
                      {r.createdAt.toISOString().slice(0, 10)} {r.type.replaceAll("_", " ")}
                    </Link>{" "}
                    <span className={`status ${r.status}`}>{statusLabels[r.status] ?? r.status}</span> <span className="muted">({r.link})</span>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>

        <AuditTrail events={detail.audit} names={detail.names} />
      </main>
    </DuplicateVerdictsProvider>
  );
}
