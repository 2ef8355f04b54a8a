import type { Face, FaceAnalysis } from "./analyze";
import type { Box, Point } from "./geometry";

const r1 = (v: number) => Math.round(v * 10) / 10;
const r4 = (v: number) => Math.round(v * 10000) / 10000;

function box(b: Box) {
  return { x1: r1(b.x1), y1: r1(b.y1), x2: r1(b.x2), y2: r1(b.y2) };
}

function points(ps: Point[]) {
  return ps.map(([x, y]) => [r1(x), r1(y)]);
}

/** A face as JSON: pixel coordinates to 0.1 px, scores to 4 decimals. */
export function faceToJson(face: Face) {
  return { box: box(face.box), score: r4(face.score), landmarks: points(face.landmarks) };
}

/** An analysis as JSON, without the embedding (biometric data stays in the server). */
export function analysisToJson(analysis: FaceAnalysis) {
  return {
    image: analysis.image,
    faces: analysis.faces.map(faceToJson),
    subject: {
      ...faceToJson(analysis.subject),
      liveness: analysis.subject.liveness === null ? null : r4(analysis.subject.liveness),
      quality: analysis.subject.quality,
    },
    otherConfidentFaces: analysis.otherConfidentFaces,
    models: analysis.models,
    timingsMs: analysis.timingsMs,
  };
}
