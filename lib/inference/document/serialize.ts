import { roundTo } from "@/lib/round";
import type { DocumentAnalysis } from "./analyze";
import type { Point } from "../geometry";

const point = ([x, y]: Point) => [roundTo(x, 1), roundTo(y, 1)];

/**
 * A document analysis as JSON: corners to 0.1 px, every cue with its value, probability,
 * explanation and evidence. Leaves out the portrait's embedding and image (biometric data
 * stays in the server).
 */
export function documentAnalysisToJson(analysis: DocumentAnalysis) {
  const cues = analysis.cues;
  return {
    score: analysis.score,
    error: analysis.error,
    corners: analysis.corners ? analysis.corners.map(point) : null,
    kind: analysis.kind,
    side: analysis.side,
    image: analysis.image,
    cues: cues
      ? {
          decidedBy: cues.decidedBy,
          screen: cues.screen,
          print: cues.print,
          digital: cues.digital,
        }
      : null,
    portrait: analysis.portrait
      ? {
          corners: analysis.portrait.corners.map(point),
          faceScore: roundTo(analysis.portrait.face.score, 4),
          quality: analysis.portrait.face.quality,
        }
      : null,
    upsideDown: analysis.upsideDown,
    camera: analysis.camera,
    timingsMs: analysis.timingsMs,
  };
}
