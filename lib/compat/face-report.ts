import "server-only";
import type { Database } from "@/db/client";
import { AppError } from "@/lib/errors";
import type { FaceReportView } from "@/lib/openapi/responses";
import { imageUrlPath } from "@/lib/storage";
import type { Band } from "@/lib/verification/policy";
import { absoluteUrl } from "@/lib/verification/present";
import { getVerification } from "@/lib/verification/service";
import type { CheckResult, StoredImage, VerificationRecord, VerificationStatus } from "@/lib/verification/service";

/**
 * The facial similarity report (seed 001) of any Vigil verification, whichever endpoint made
 * it. Overall `status` is the record's (so it follows a reviewer's decision); the per-check
 * statuses are the automatic bands; a check that was skipped or not asked for is
 * "Not Finished" with a null score. Scores are 0-100 to two decimals. Image URLs are signed
 * and expire after VIGIL_IMAGE_URL_TTL; Vigil takes no video, so `video_url` is null.
 */

export type ReportStatus = "Approved" | "Rejected" | "In Review" | "Not Finished";

/** The report's shape is the native API's response schema (lib/openapi/responses.ts). */
export type FaceReport = FaceReportView;

const recordStatuses: Record<VerificationStatus, ReportStatus> = {
  approved: "Approved",
  rejected: "Rejected",
  in_review: "In Review",
  not_finished: "Not Finished",
  // The applicant must send new photos: the check is not finished.
  resubmission_requested: "Not Finished",
};

const bandStatuses: Record<Band, ReportStatus> = { approve: "Approved", review: "In Review", reject: "Rejected" };

function checkStatus(check: CheckResult | undefined): ReportStatus {
  return check?.status === "done" && check.band ? bandStatuses[check.band] : "Not Finished";
}

function percent(check: CheckResult | undefined): number | null {
  if (check?.status !== "done" || check.score === null) return null;
  return Math.round(Math.min(1, Math.max(0, check.score)) * 10000) / 100;
}

/** The photo the selfie was matched with: a document portrait, else the best-matching reference or gallery image. */
function sourceImage(record: VerificationRecord, match: CheckResult | undefined): StoredImage | undefined {
  const portrait = record.images.find((i) => i.role === "portrait");
  if (portrait) return portrait;
  const references = record.images.filter((i) => i.role === "reference" || i.role === "gallery");
  const bestIndex = typeof match?.details.bestIndex === "number" ? match.details.bestIndex : 0;
  return references.find((i) => i.position === bestIndex) ?? references[0];
}

/** A record as a facial similarity report; image links are signed for `actor`. */
export function presentFaceReport(record: VerificationRecord, actor: string, origin: string): FaceReport {
  const match = record.checks.find((c) => c.check === "face_match");
  const liveness = record.checks.find((c) => c.check === "selfie_liveness");
  const url = (image: StoredImage | undefined) => (image ? absoluteUrl(imageUrlPath(image.id, actor), origin) : null);
  return {
    face: {
      status: recordStatuses[record.status],
      face_match_status: checkStatus(match),
      liveness_status: checkStatus(liveness),
      face_match_similarity: percent(match),
      liveness_confidence: percent(liveness),
      source_image: url(sourceImage(record, match)),
      target_image: url(record.images.find((i) => i.role === "selfie")),
      video_url: null,
    },
  };
}

/** The report of one verification of the project; NOT_FOUND when it has none by that id. */
export async function getFaceReport(db: Database, projectId: string, id: string, actor: string, origin: string): Promise<FaceReport> {
  const record = await getVerification(db, projectId, id);
  if (!record) throw new AppError("NOT_FOUND", `No verification ${id} in this project.`);
  return presentFaceReport(record, actor, origin);
}
