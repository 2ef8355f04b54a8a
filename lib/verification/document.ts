import "server-only";
import type { Database } from "@/db/client";
import { checkDuplicates } from "@/lib/search/duplicates";
import { AppError } from "@/lib/errors";
import type { DocumentAnalysis, ImageInput } from "@/lib/inference";
import { analyzeDocument, analyzeFaces, cosineSimilarity, modelInfo } from "@/lib/inference";
import { toImageBytes } from "@/lib/inference/image";
import { faceToJson } from "@/lib/inference/serialize";
import { roundTo } from "@/lib/round";
import type { ImageStore } from "@/lib/storage";
import { bandFor, getActivePolicy } from "./policy";
import type { CheckResult, NewImage, VerificationRecord, VerificationSource } from "./service";
import { findIdempotent, naming, storeVerification } from "./service";

/** The document checks are physical measurements, not a trained model: named and versioned here. */
export const DOCUMENT_CUES_MODEL = { id: "vigil-document-cues", version: "1" };

export interface DocumentVerificationInput {
  projectId: string;
  apiKeyId: string | null;
  actor: string;
  source: VerificationSource;
  /** The document's front side (the side with the holder's portrait). */
  front: ImageInput;
  back?: ImageInput | null;
  /** With a selfie, the selfie is also matched against the document's portrait and checked for liveness. */
  selfie?: ImageInput | null;
  requestId: string;
  idempotencyKey?: string | null;
  requestHash: string;
  externalRef?: string | null;
}

/** A document side that stopped on a geometry problem is an error of the request, with the vendor's code. */
function requireDocument(side: "front" | "back", analysis: DocumentAnalysis): DocumentAnalysis & { score: number } {
  if (analysis.error || analysis.score === null) {
    const code = analysis.error ?? "DOCUMENT_NOT_FOUND";
    throw new AppError(code, `${side} side: ${documentErrorMessages[code]}`, { image: side });
  }
  return analysis as DocumentAnalysis & { score: number };
}

const documentErrorMessages: Record<NonNullable<DocumentAnalysis["error"]>, string> = {
  DOCUMENT_NOT_FOUND: "no identity document was found in the image.",
  TOO_MANY_DOCUMENTS: "more than one document is in the image; photograph one at a time.",
  DOCUMENT_TOO_SMALL: "the document is too small in the image; move the camera closer.",
  DOCUMENT_CROPPED: "part of the document is outside the image.",
  DOCUMENT_TOO_CLOSE_TO_BORDER: "the document touches the image border; leave a margin around it.",
  DOCUMENT_TOO_CLOSE_TO_CAMERA: "the document fills the whole image; move the camera back.",
  DOCUMENT_PHOTO_NOT_FOUND: "no portrait photo was found on the document's front side.",
};

/** What a reviewer needs of one side: outline, format, the cue breakdown behind the score. */
function sideDetails(analysis: DocumentAnalysis & { score: number }) {
  return {
    score: roundTo(analysis.score, 4),
    kind: analysis.kind,
    corners: analysis.corners,
    decidedBy: analysis.cues?.decidedBy ?? null,
    attacks: analysis.cues
      ? Object.fromEntries(
          (["screen", "print", "digital"] as const).map((attack) => [
            attack,
            {
              probability: roundTo(analysis.cues![attack].probability, 4),
              cues: Object.fromEntries(Object.entries(analysis.cues![attack].cues).map(([name, cue]) => [name, { probability: roundTo(cue.probability, 4), value: roundTo(cue.value, 4), why: cue.why, evidence: cue.evidence }])),
            },
          ]),
        )
      : null,
    camera: analysis.camera,
    upsideDown: analysis.upsideDown,
  };
}

/**
 * Document verification: liveness of the document's front (and back) side, the portrait cut
 * from the front, and, with a selfie, the selfie matched against that portrait plus selfie
 * liveness. Each check gets its band from the project's policy; the record is stored like
 * any verification (review case when any check is in review). Image problems, face problems
 * and document geometry problems (DOCUMENT_NOT_FOUND, DOCUMENT_CROPPED, ...) are thrown
 * before anything is written.
 */
export async function runDocumentVerification(db: Database, store: ImageStore, input: DocumentVerificationInput): Promise<{ record: VerificationRecord; replayed: boolean }> {
  if (input.idempotencyKey) {
    const existing = await findIdempotent(db, input.projectId, input.idempotencyKey, input.requestHash);
    if (existing) return { record: existing, replayed: true };
  }
  const started = performance.now();
  const frontBytes = toImageBytes(input.front);
  const backBytes = input.back ? toImageBytes(input.back) : null;
  const selfieBytes = input.selfie ? toImageBytes(input.selfie) : null;
  const [frontAnalysis, backAnalysis, selfie] = await Promise.all([
    naming("front", analyzeDocument(frontBytes, { side: "front" })),
    backBytes ? naming("back", analyzeDocument(backBytes, { side: "back" })) : null,
    selfieBytes ? naming("selfie", analyzeFaces(selfieBytes, { liveness: true, requireSingleFace: true })) : null,
  ]);
  const front = requireDocument("front", frontAnalysis);
  const back = backAnalysis ? requireDocument("back", backAnalysis) : null;
  const portrait = front.portrait;
  if (!portrait) throw new AppError("DOCUMENT_PHOTO_NOT_FOUND", `front side: ${documentErrorMessages.DOCUMENT_PHOTO_NOT_FOUND}`, { image: "front" });
  const inferenceMs = performance.now() - started;

  const policy = await getActivePolicy(db, input.projectId);
  const documentScore = roundTo(Math.min(front.score, back?.score ?? 1), 4);
  const checks: CheckResult[] = [
    {
      check: "document_liveness",
      status: "done",
      score: documentScore,
      band: bandFor(documentScore, policy.bands.document_liveness),
      model: DOCUMENT_CUES_MODEL,
      details: { front: sideDetails(front), back: back ? sideDetails(back) : null, decidedBySide: back && back.score < front.score ? "back" : "front" },
    },
  ];
  if (selfie) {
    const similarity = roundTo(cosineSimilarity(selfie.subject.embedding, portrait.face.embedding), 4);
    checks.push({
      check: "face_match",
      status: "done",
      score: similarity,
      band: bandFor(similarity, policy.bands.face_match),
      model: { id: modelInfo.feature.id, version: modelInfo.feature.version },
      details: { similarities: [similarity], bestIndex: 0, metric: "cosine", reference: "document portrait" },
    });
    const liveness = roundTo(selfie.subject.liveness ?? 0, 4);
    checks.push({
      check: "selfie_liveness",
      status: "done",
      score: liveness,
      band: bandFor(liveness, policy.bands.selfie_liveness),
      model: { id: modelInfo.liveness.id, version: modelInfo.liveness.version },
      details: { quality: selfie.subject.quality },
    });
  }

  // The selfie (or, without one, the document's portrait) against the enrolled persons.
  const duplicates = await checkDuplicates(db, { projectId: input.projectId, probe: (selfie?.subject ?? portrait.face).embedding, bands: policy.bands, externalRef: input.externalRef });
  if (duplicates) checks.push(duplicates.check);

  // The portrait's face, moved into the pixels of the portrait crop that is stored.
  const dx = portrait.box.x1;
  const dy = portrait.box.y1;
  const portraitFace = faceToJson(portrait.face);
  const shifted = {
    ...portraitFace,
    box: { x1: roundTo(portraitFace.box.x1 - dx, 1), y1: roundTo(portraitFace.box.y1 - dy, 1), x2: roundTo(portraitFace.box.x2 - dx, 1), y2: roundTo(portraitFace.box.y2 - dy, 1) },
    landmarks: portraitFace.landmarks.map(([x, y]) => [roundTo(x - dx, 1), roundTo(y - dy, 1)]),
  };
  const portraitWidth = Math.round(portrait.box.x2 - portrait.box.x1);
  const portraitHeight = Math.round(portrait.box.y2 - portrait.box.y1);
  const documentImage = (analysis: DocumentAnalysis, bytes: Buffer, position: number): NewImage => ({
    role: "document",
    position,
    bytes,
    format: analysis.image.format,
    width: analysis.image.width,
    height: analysis.image.height,
    faces: { faces: [], quality: null, outline: analysis.corners },
  });
  const images: NewImage[] = [
    documentImage(front, frontBytes, 0),
    ...(back && backBytes ? [documentImage(back, backBytes, 1)] : []),
    { role: "portrait", position: 0, bytes: portrait.jpeg, format: "jpeg", width: portraitWidth, height: portraitHeight, faces: { faces: [shifted], quality: portrait.face.quality } },
    ...(selfie && selfieBytes
      ? [{ role: "selfie" as const, position: 0, bytes: selfieBytes, format: selfie.image.format, width: selfie.image.width, height: selfie.image.height, faces: { faces: selfie.faces.map(faceToJson), quality: selfie.subject.quality } }]
      : []),
  ];
  return storeVerification(db, store, {
    ...input,
    type: selfie ? "document_selfie" : "document_liveness",
    checks,
    duplicateCandidates: duplicates?.candidates,
    policyVersion: policy.version,
    images,
    started,
    timings: {
      inferenceMs: Math.round(inferenceMs),
      frontMs: front.timingsMs.total,
      ...(back ? { backMs: back.timingsMs.total } : {}),
      ...(selfie ? { selfieMs: selfie.timingsMs.total } : {}),
    },
  });
}
