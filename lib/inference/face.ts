import "server-only";
import type { Box, Point } from "./geometry";
import { cropAffine, invertAffine, umeyama, warpToTensor } from "./geometry";
import type { RgbImage } from "./image";
import type { ModelSet } from "./models";
import { runModel } from "./models";
import { scaledCropBox, squareBox } from "./detect";
import { roundTo } from "@/lib/round";

/**
 * The five-point template of 112 x 112 ArcFace crops (insightface `arcface_dst`): eye
 * centres, nose tip, mouth corners, in pixels of the aligned crop.
 */
export const ARCFACE_TEMPLATE: Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];
const EMBED_SIZE = 112;
const LIVENESS_SIZE = 128;
/** The liveness model sees the face with 2.7x its box of context (its training crop). */
export const LIVENESS_CONTEXT = 2.7;

export interface AlignedFace {
  /** The feature model's input: BGR planes, (px - 127) / 128. */
  tensor: Float32Array;
}

/** Warps the face onto the ArcFace template with an anti-aliased similarity transform. */
export function alignFace(image: RgbImage, landmarks: Point[]): AlignedFace {
  const toTemplate = umeyama(landmarks, ARCFACE_TEMPLATE);
  const tensor = warpToTensor(image, invertAffine(toTemplate), EMBED_SIZE, EMBED_SIZE, {
    channels: [2, 1, 0],
    mean: 127,
    std: 128,
    border: 0,
    antialias: true,
  });
  return { tensor };
}

/** The L2-normalised 512-d embedding of an aligned face. */
export async function embedFace(models: ModelSet, aligned: AlignedFace): Promise<Float32Array> {
  const { output } = await runModel(models.feature, aligned.tensor, [1, 3, EMBED_SIZE, EMBED_SIZE]);
  const embedding = Float32Array.from(output);
  let norm = 0;
  for (const v of embedding) norm += v * v;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < embedding.length; i++) embedding[i] /= norm;
  return embedding;
}

/** Cosine similarity of two L2-normalised embeddings, in [-1, 1]. */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error("embeddings differ in length");
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return Math.max(-1, Math.min(1, dot));
}

/**
 * Probability that the face is a live person in front of the camera (not a print, screen or
 * mask), from one frame. The crop is the square face box scaled 2.7x, kept inside the image.
 */
export async function selfieLiveness(models: ModelSet, image: RgbImage, box: Box): Promise<number> {
  const crop = scaledCropBox(squareBox(box), LIVENESS_CONTEXT, image.width, image.height);
  const input = warpToTensor(image, cropAffine(crop, LIVENESS_SIZE, LIVENESS_SIZE), LIVENESS_SIZE, LIVENESS_SIZE, {
    channels: [2, 1, 0],
    mean: 0,
    std: 1,
    border: 0,
    antialias: false,
  });
  const { output } = await runModel(models.liveness, input, [1, 3, LIVENESS_SIZE, LIVENESS_SIZE]);
  const max = Math.max(...output);
  let sum = 0;
  const exp = Array.from(output, (v) => {
    const e = Math.exp(v - max);
    sum += e;
    return e;
  });
  return exp[0] / sum;
}

export interface FaceQuality {
  /** Side of the face square in pixels of the original image. */
  faceSizePx: number;
  /** Variance of the Laplacian of the aligned 112 px grey face; below ~40 looks blurred. */
  sharpness: number;
  /** Mean luma (0-255) of the aligned face. */
  brightness: number;
  /** Share of the aligned face's pixels that are clipped to black or white. */
  clipped: number;
  /** Rough head pose in degrees from the five landmarks (positive yaw: face turned to image right). */
  yaw: number;
  pitch: number;
  roll: number;
  flags: QualityFlag[];
}

export type QualityFlag = "SMALL_FACE" | "BLURRY" | "UNDEREXPOSED" | "OVEREXPOSED" | "POSE";

/** Thresholds behind the quality flags; chosen on the sample photos and faces-dev, see the README. */
export const QUALITY_LIMITS = {
  minFaceSizePx: 80,
  minSharpness: 40,
  minBrightness: 50,
  maxBrightness: 215,
  maxYaw: 30,
  maxPitch: 25,
} as const;

/** Sharpness, exposure and pose of one face, measured on its aligned crop and landmarks. */
export function measureQuality(aligned: AlignedFace, landmarks: Point[], faceSizePx: number): FaceQuality {
  const n = EMBED_SIZE * EMBED_SIZE;
  const grey = new Float32Array(n);
  let sum = 0;
  let clippedCount = 0;
  for (let i = 0; i < n; i++) {
    // Planes are B, G, R normalised as (px - 127) / 128.
    const b = aligned.tensor[i] * 128 + 127;
    const g = aligned.tensor[n + i] * 128 + 127;
    const r = aligned.tensor[2 * n + i] * 128 + 127;
    const y = 0.299 * r + 0.587 * g + 0.114 * b;
    grey[i] = y;
    sum += y;
    if (y <= 8 || y >= 247) clippedCount++;
  }
  // Laplacian over the central part only, so the black border of a tilted warp does not count.
  let lapSum = 0, lapSq = 0, count = 0;
  for (let y = 16; y < EMBED_SIZE - 16; y++) {
    for (let x = 16; x < EMBED_SIZE - 16; x++) {
      const i = y * EMBED_SIZE + x;
      const lap = grey[i - 1] + grey[i + 1] + grey[i - EMBED_SIZE] + grey[i + EMBED_SIZE] - 4 * grey[i];
      lapSum += lap; lapSq += lap * lap; count++;
    }
  }
  const sharpness = lapSq / count - (lapSum / count) ** 2;
  const brightness = sum / n;
  const [le, re, nose, lm, rm] = landmarks;
  const roll = (Math.atan2(re[1] - le[1], re[0] - le[0]) * 180) / Math.PI;
  // Express nose and mouth in the eye line's frame so that roll does not read as yaw.
  const cos = Math.cos((-roll * Math.PI) / 180), sin = Math.sin((-roll * Math.PI) / 180);
  const rot = ([x, y]: Point): Point => [x * cos - y * sin, x * sin + y * cos];
  const [lex, ley] = rot(le), [rex, rey] = rot(re), [nx, ny] = rot(nose), [, lmy] = rot(lm), [, rmy] = rot(rm);
  const eyeDist = Math.max(1e-6, rex - lex);
  const eyeMidX = (lex + rex) / 2, eyeMidY = (ley + rey) / 2;
  const mouthMidY = (lmy + rmy) / 2;
  // Frontal faces have the nose tip under the eye midpoint and 0.49 of the way to the mouth
  // (the ArcFace template); the offsets map to degrees by the rough small-angle factors below.
  const yaw = (Math.asin(Math.max(-1, Math.min(1, ((nx - eyeMidX) / eyeDist) * 1.6))) * 180) / Math.PI;
  const ratio = (ny - eyeMidY) / Math.max(1e-6, mouthMidY - eyeMidY);
  const pitch = (ratio - 0.494) * 150;
  const flags: QualityFlag[] = [];
  if (faceSizePx < QUALITY_LIMITS.minFaceSizePx) flags.push("SMALL_FACE");
  if (sharpness < QUALITY_LIMITS.minSharpness) flags.push("BLURRY");
  if (brightness < QUALITY_LIMITS.minBrightness) flags.push("UNDEREXPOSED");
  if (brightness > QUALITY_LIMITS.maxBrightness) flags.push("OVEREXPOSED");
  if (Math.abs(yaw) > QUALITY_LIMITS.maxYaw || Math.abs(pitch) > QUALITY_LIMITS.maxPitch) flags.push("POSE");
  return {
    faceSizePx: Math.round(faceSizePx),
    sharpness: roundTo(sharpness, 1),
    brightness: roundTo(brightness, 1),
    clipped: Math.round((clippedCount / n) * 1000) / 1000,
    yaw: roundTo(yaw, 1),
    pitch: roundTo(pitch, 1),
    roll: roundTo(roll, 1),
    flags,
  };
}
