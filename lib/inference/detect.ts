import "server-only";
import type { Box, Point } from "./geometry";
import { cropAffine, nms, warpToTensor } from "./geometry";
import type { RgbImage } from "./image";
import type { ModelSet } from "./models";
import { runModel } from "./models";

/** The detector's fixed input (RFB-320): 320 x 240, RGB, (px - 127) / 128. */
export const DET_WIDTH = 320;
export const DET_HEIGHT = 240;
const DET_MEAN = 127;
const DET_STD = 128;

/**
 * Score above which a box counts as a face. The reference implementation shipped with the
 * models used 0.65; 0.7 removed the few non-face boxes it let through on the sample photos.
 */
export const FACE_SCORE_THRESHOLD = 0.7;
/** A second face at or above this score is reported as a confident other face. */
export const CONFIDENT_FACE_SCORE = 0.9;
const NMS_IOU = 0.4;

/**
 * Detector passes, by how much of the 320 x 240 canvas the image fills. The RFB-320 anchors
 * stop at 256 px, so a face that fills the frame (a portrait cut from an ID card, a tight
 * selfie, a 90 x 110 thumbnail) is only found once the image is shrunk inside a grey border.
 */
const PASS_FILL = [1, 0.55, 0.35];

export interface DetectedFace {
  /** Box in pixels of the (oriented) input image. */
  box: Box;
  score: number;
  /** Eye centres (image left, image right), nose tip, mouth corners (image left, right). */
  landmarks: Point[];
  /** The 68 points the landmark model returned, for drawing. */
  landmarks68: Point[];
}

/** The square the landmark and liveness models were trained on: side = box height, same centre. */
export function squareBox(box: Box): Box {
  const side = box.y2 - box.y1;
  const cx = (box.x1 + box.x2) / 2;
  const cy = (box.y1 + box.y2) / 2;
  return { x1: cx - side / 2, y1: cy - side / 2, x2: cx + side / 2, y2: cy + side / 2 };
}

/**
 * `box` scaled by `factor` about its centre, shrunk to fit the image if it cannot, then shifted
 * to lie inside it: the crop rule of the landmark (1.0) and liveness (2.7) models.
 */
export function scaledCropBox(box: Box, factor: number, width: number, height: number): Box {
  const bw = box.x2 - box.x1;
  const bh = box.y2 - box.y1;
  const scale = Math.min((height - 1) / bh, (width - 1) / bw, factor);
  const w = bw * scale;
  const h = bh * scale;
  const cx = (box.x1 + box.x2) / 2;
  const cy = (box.y1 + box.y2) / 2;
  let x1 = cx - w / 2;
  let y1 = cy - h / 2;
  x1 = Math.min(Math.max(x1, 0), width - 1 - w);
  y1 = Math.min(Math.max(y1, 0), height - 1 - h);
  return { x1, y1, x2: x1 + w, y2: y1 + h };
}

interface RawDetection {
  box: Box;
  score: number;
}

async function runPass(models: ModelSet, image: RgbImage, fill: number, minScore = FACE_SCORE_THRESHOLD, halfTurn = false): Promise<RawDetection[]> {
  // The image, scaled to `fill` of the largest size that fits, centred on a grey canvas
  // (grey normalises to zero). `s` is image pixels per canvas pixel.
  const s = 1 / (Math.min(DET_WIDTH / image.width, DET_HEIGHT / image.height) * fill);
  const offX = (DET_WIDTH - image.width / s) / 2;
  const offY = (DET_HEIGHT - image.height / s) / 2;
  // This pass's own input until the model has read it: another analysis on this thread (the
  // document warm-up runs beside face requests) may run a pass while this one awaits the model.
  const input = idleInputs.pop() ?? { tensor: new Float32Array(3 * DET_WIDTH * DET_HEIGHT), holds: null };
  let scores: Float32Array, boxes: Float32Array;
  try {
    if (!(input.holds?.image.deref() === image && input.holds.fill === fill)) {
      warpToTensor(image, [s, 0, (0.5 - offX) * s - 0.5, 0, s, (0.5 - offY) * s - 0.5], DET_WIDTH, DET_HEIGHT, {
        channels: [0, 1, 2],
        mean: DET_MEAN,
        std: DET_STD,
        border: DET_MEAN,
        antialias: true,
      }, input.tensor);
      input.holds = { image: new WeakRef(image), fill, halfTurn: false };
    }
    // The canvas is centred on the image, so the image turned by 180 degrees is sampled at the
    // mirrored points: its input is this one with every plane reversed (to within rounding of
    // the last bit of a float, where the bilinear weights are summed in the other order).
    if (input.holds.halfTurn !== halfTurn) {
      for (let p = 0; p < 3; p++) input.tensor.subarray(p * DET_WIDTH * DET_HEIGHT, (p + 1) * DET_WIDTH * DET_HEIGHT).reverse();
      input.holds.halfTurn = halfTurn;
    }
    ({ scores, boxes } = await runModel(models.detect, input.tensor, [1, 3, DET_HEIGHT, DET_WIDTH]));
  } finally {
    idleInputs.push(input);
  }
  const found: RawDetection[] = [];
  const n = scores.length / 2;
  for (let i = 0; i < n; i++) {
    const score = scores[i * 2 + 1];
    if (score < minScore) continue;
    const bx1 = boxes[i * 4] * DET_WIDTH, by1 = boxes[i * 4 + 1] * DET_HEIGHT;
    const bx2 = boxes[i * 4 + 2] * DET_WIDTH, by2 = boxes[i * 4 + 3] * DET_HEIGHT;
    found.push({
      score,
      box: { x1: (bx1 - offX) * s, y1: (by1 - offY) * s, x2: (bx2 - offX) * s, y2: (by2 - offY) * s },
    });
  }
  return nms(found, NMS_IOU);
}

/** Clips a box to the image; null when nothing sensible is left. */
function clipBox(box: Box, width: number, height: number): Box | null {
  const clipped = { x1: Math.max(0, box.x1), y1: Math.max(0, box.y1), x2: Math.min(width, box.x2), y2: Math.min(height, box.y2) };
  if (clipped.x2 - clipped.x1 < 4 || clipped.y2 - clipped.y1 < 4) return null;
  return clipped;
}

/**
 * A detector input buffer and whose letterbox it holds: looking at the same image again (the
 * other way up, see runPass) reuses it instead of resampling.
 */
interface DetectorInput {
  tensor: Float32Array;
  holds: { image: WeakRef<RgbImage>; fill: number; halfTurn: boolean } | null;
}
/** Buffers no pass is using, last released first: one pass at a time needs one buffer. */
const idleInputs: DetectorInput[] = [];

/**
 * Finds face boxes in `image` (pixels of the working image). Runs the full-frame pass and,
 * only when it finds nothing, the padded passes; `fills` replaces PASS_FILL (a caller that
 * knows no face can be too large for the first pass spares the others) and `minScore`
 * FACE_SCORE_THRESHOLD (a caller that knows where a face must be). With `halfTurn`, the
 * faces are those of the image turned by 180 degrees, in its pixels, without turning it.
 */
export async function detectBoxes(models: ModelSet, image: RgbImage, options: { fills?: readonly number[]; minScore?: number; halfTurn?: boolean } = {}): Promise<RawDetection[]> {
  for (const fill of options.fills ?? PASS_FILL) {
    const found = (await runPass(models, image, fill, options.minScore, options.halfTurn))
      .map((d) => ({ ...d, box: clipBox(d.box, image.width, image.height) }))
      .filter((d): d is RawDetection => d.box !== null);
    if (found.length > 0) return found;
  }
  return [];
}

const LANDMARK_SIZE = 64;

/**
 * The square a detector box would give for a face with these 68 landmarks: on the 19 faces of
 * the sample photos, the detector's box height is 1.30 (sd 0.08) times the landmarks' width
 * and 1.32 (sd 0.10) times their height, and its centre lies 0.15 (sd 0.04) of their height
 * above theirs (the forehead has no landmarks).
 */
export function boxFromLandmarks(all: readonly Point[]): Box {
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  for (const [x, y] of all) {
    x1 = Math.min(x1, x); x2 = Math.max(x2, x);
    y1 = Math.min(y1, y); y2 = Math.max(y2, y);
  }
  const w = x2 - x1, h = y2 - y1;
  const side = (1.3 * w + 1.32 * h) / 2;
  const cx = (x1 + x2) / 2;
  const cy = (y1 + y2) / 2 - 0.15 * h;
  return { x1: cx - side / 2, y1: cy - side / 2, x2: cx + side / 2, y2: cy + side / 2 };
}

export interface LandmarkOptions {
  /**
   * Let the square overhang the image, black outside, instead of shrinking and shifting it to
   * fit. For face crops, whose box is the whole image: shrinking the square of a tall crop to
   * its width cut the worst face-crop similarity on the sample photos from 0.92 to 0.66.
   */
  overhang?: boolean;
}

/**
 * Runs the 68-point landmark model on the square around `box` and reduces the points to the
 * five of the alignment template. Indices follow the iBUG 300-W layout: 36-41 and 42-47 are
 * the eyes, 30 the nose tip, 48 and 54 the mouth corners.
 */
export async function detectLandmarks(models: ModelSet, image: RgbImage, box: Box, options: LandmarkOptions = {}): Promise<{ five: Point[]; all: Point[] }> {
  const square = squareBox(box);
  const crop = options.overhang ? square : scaledCropBox(square, 1.0, image.width, image.height);
  const input = warpToTensor(image, cropAffine(crop, LANDMARK_SIZE, LANDMARK_SIZE), LANDMARK_SIZE, LANDMARK_SIZE, {
    channels: [-1],
    mean: 0,
    std: 256,
    border: 0,
    antialias: true,
  });
  const { output } = await runModel(models.landmark, input, [1, 1, LANDMARK_SIZE, LANDMARK_SIZE]);
  const w = crop.x2 - crop.x1;
  const h = crop.y2 - crop.y1;
  const all: Point[] = [];
  for (let i = 0; i < 68; i++) all.push([crop.x1 + output[i * 2] * w, crop.y1 + output[i * 2 + 1] * h]);
  const mean = (from: number, to: number): Point => {
    let x = 0, y = 0;
    for (let i = from; i <= to; i++) { x += all[i][0]; y += all[i][1]; }
    return [x / (to - from + 1), y / (to - from + 1)];
  };
  return { five: [mean(36, 41), mean(42, 47), all[30], all[48], all[54]], all };
}
