import type { Face, FaceAnalysis } from "./analyze";
import type { Box, Point } from "./geometry";
import type { z } from "zod";
import type { FaceAnalysisView, faceSchema } from "@/lib/openapi/responses";
import { roundTo } from "@/lib/round";

/* Typed by the native API's response schemas (lib/openapi/responses.ts), so the JSON cannot drift from the description. */

function box(b: Box) {
  return { x1: roundTo(b.x1, 1), y1: roundTo(b.y1, 1), x2: roundTo(b.x2, 1), y2: roundTo(b.y2, 1) };
}

function points(ps: Point[]) {
  return ps.map(([x, y]) => [roundTo(x, 1), roundTo(y, 1)]);
}

/** A face as JSON: pixel coordinates to 0.1 px, scores to 4 decimals. */
export function faceToJson(face: Face): z.infer<typeof faceSchema> {
  return { box: box(face.box), score: roundTo(face.score, 4), landmarks: points(face.landmarks) };
}

/** An analysis as JSON, without the embedding (biometric data stays in the server). */
export function analysisToJson(analysis: FaceAnalysis): FaceAnalysisView {
  return {
    image: analysis.image,
    faces: analysis.faces.map(faceToJson),
    subject: {
      ...faceToJson(analysis.subject),
      liveness: analysis.subject.liveness === null ? null : roundTo(analysis.subject.liveness, 4),
      quality: analysis.subject.quality,
    },
    otherConfidentFaces: analysis.otherConfidentFaces,
    models: analysis.models,
    timingsMs: analysis.timingsMs,
  };
}
