import "server-only";
import { imageUrlPath } from "@/lib/storage";
import type { Verification } from "@/lib/openapi/responses";
import type { VerificationRecord } from "./service";

/** Absolute URL for a path, on VIGIL_PUBLIC_URL or the request's own origin. */
export function absoluteUrl(path: string, origin: string): string {
  return new URL(path, origin).toString();
}

/** The native API's view of a verification: results and signed, expiring image URLs. */
export function presentVerification(record: VerificationRecord, actor: string, origin: string): Verification {
  return {
    id: record.id,
    object: "verification",
    projectId: record.projectId,
    type: record.type,
    source: record.source,
    status: record.status,
    band: record.band,
    checks: record.checks,
    policyVersion: record.policyVersion,
    reviewCaseId: record.reviewCaseId,
    images: record.images.map((image) => ({
      id: image.id,
      role: image.role,
      position: image.position,
      width: image.width,
      height: image.height,
      format: image.format,
      faces: image.faces.faces,
      quality: image.faces.quality,
      url: absoluteUrl(imageUrlPath(image.id, actor), origin),
    })),
    requestId: record.requestId,
    idempotencyKey: record.idempotencyKey,
    externalRef: record.externalRef,
    timings: record.timings,
    createdAt: record.createdAt.toISOString(),
    decidedAt: record.decidedAt?.toISOString() ?? null,
  };
}
