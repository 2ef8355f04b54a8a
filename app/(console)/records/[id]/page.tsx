import Link from "next/link";
import { notFound } from "next/navigation";
import { checkLabels } from "@/components/console/format";
import { RecordView } from "@/components/review/record-view";
import { ReopenForm } from "@/components/review/reopen-form";
import { getDb } from "@/db/client";
import { requirePageUser } from "@/lib/auth/guard";
import { getRecordDetail } from "@/lib/review/case-detail";

export const dynamic = "force-dynamic";
export const metadata = { title: "Record · Vigil" };

/** One verification record: read-only, with its review outcome and a way to reopen it. */
export default async function RecordPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requirePageUser(`/records/${id}`);
  const detail = await getRecordDetail(await getDb(), id);
  if (!detail) notFound();
  const c = detail.reviewCase;
  const name = (actor: string | null) => (actor ? (detail.names[actor] ?? actor) : "-");
  const reason = (code: string | null) => detail.project.reasonCodes.find((r) => r.code === code)?.label ?? code;
  return (
    <RecordView detail={detail} viewer={user} heading="Verification record">
      {c ? (
        <section className="panel" aria-label="Review">
          <h2>Review</h2>
          {c.status === "decided" ? (
            <p data-testid="review-outcome">
              <strong>{c.decision}</strong>
              {c.reasonCode ? ` · ${reason(c.reasonCode)}` : ""} by {name(c.decidedBy)}
              {c.confirmedBy ? `, confirmed by ${name(c.confirmedBy)}` : ""} on {c.decidedAt?.toISOString().replace("T", " ").slice(0, 19)} UTC
              {c.note ? ` - "${c.note}"` : ""}
            </p>
          ) : (
            <p>
              {c.stage === "confirmation" ? "Waiting for a second reviewer to confirm an approval. " : "In the review queue. "}
              Sent there by: {c.reasons.map((r) => checkLabels[r] ?? r).join(", ")}.{" "}
              <Link href={`/cases/${c.id}`} prefetch={false}>
                Open the case
              </Link>
            </p>
          )}
        </section>
      ) : null}
      {detail.record.status !== "in_review" ? <ReopenForm verificationId={detail.record.id} rejectedByChecks={detail.record.band === "reject"} /> : null}
    </RecordView>
  );
}
