import { notFound } from "next/navigation";
import { RecordView } from "@/components/review/record-view";
import { DecisionPanel } from "@/components/review/decision-panel";
import { getDb } from "@/db/client";
import { requirePageUser } from "@/lib/auth/guard";
import { getEnv } from "@/lib/env";
import { isAppError } from "@/lib/errors";
import { getCaseDetail } from "@/lib/review/case-detail";
import { claimCase } from "@/lib/review/queue";

export const dynamic = "force-dynamic";
export const metadata = { title: "Case · Vigil" };

/**
 * One case. Opening it takes it for the reviewer when nobody holds it (or renews their own
 * claim); held by someone else or decided, it is shown read-only.
 */
export default async function CasePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requirePageUser(`/cases/${id}`);
  const db = await getDb();
  try {
    await claimCase(db, { user, caseId: id, leaseSeconds: getEnv().VIGIL_CLAIM_LEASE_SECONDS });
  } catch (error) {
    if (isAppError(error) && error.code === "NOT_FOUND") notFound();
    throw error;
  }
  const detail = await getCaseDetail(db, id);
  const c = detail.reviewCase;
  const mine = c.status === "claimed" && c.claimedBy === user.actor;
  return (
    <RecordView detail={detail} viewer={user} heading={`Case ${c.id}`} duplicateCaseId={mine ? c.id : null}>
      <DecisionPanel
        // A new case is a new panel: reason, note and messages never carry over.
        key={c.id}
        caseId={c.id}
        held={mine}
        stage={c.stage as "decision" | "confirmation"}
        status={c.status as "open" | "claimed" | "decided"}
        claimExpiresAt={mine ? (c.claimExpiresAt?.toISOString() ?? null) : null}
        holder={c.claimedBy && !mine ? (detail.names[c.claimedBy] ?? c.claimedBy) : null}
        proposal={c.stage === "confirmation" ? { decision: c.decision, reasonCode: c.reasonCode, note: c.note, by: c.decidedBy ? (detail.names[c.decidedBy] ?? c.decidedBy) : null } : null}
        proposedByMe={c.stage === "confirmation" && c.decidedBy === user.actor}
        automaticBand={detail.record.band}
        reasonCodes={detail.project.reasonCodes}
      />
    </RecordView>
  );
}
