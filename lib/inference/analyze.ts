import "server-only";
import { AppError } from "@/lib/errors";
import type { Box, Point } from "./geometry";
import type { ImageFormat, ImageHeader, ImageInput, RgbImage } from "./image";
import { decodeImage, readImageHeader, toImageBytes } from "./image";
import { boxFromLandmarks, CONFIDENT_FACE_SCORE, DET_HEIGHT, DET_WIDTH, detectBoxes, detectLandmarks, squareBox } from "./detect";
import type { FaceQuality } from "./face";
import { alignFace, cosineSimilarity, embedFace, measureQuality, selfieLiveness } from "./face";
import { getModelSet, modelInfo } from "./models";

/**
 * The first decode covers the detector's 320 x 240 letterbox 1.25 times over: detection needs
 * no more, and a JPEG five or more times larger than that is decoded straight to a quarter or
 * an eighth by DCT scaling (three to five times: a half), which is most of the decode time
 * saved. A selfie's face is usually large enough at this scale for every model; smaller ones
 * get a second, finer decode.
 */
const DETECT_OVERSAMPLE = 1.25;
/**
 * Smallest face (side of its square, in decoded pixels) that the landmark, feature and
 * liveness models get without a second, finer decode: the face box covers about 96 of the
 * feature model's 112 px, and faces-dev scores as well at 64 px faces (bench/accuracy.ts).
 */
const MIN_MODEL_FACE = 96;
/**
 * A face crop whose landmarks re-box to a square smaller than this share of its height is
 * looser than a detector box, and its landmarks are found again in that square. On the sample
 * photos' faces, crops cut at the detector's box or its square re-box to at least 0.90 of
 * their height; crops with a quarter of the box added on each side to 0.66-0.82.
 */
const LOOSE_CROP = 0.85;
/** Landmark passes on a loose crop's re-boxed square: the second one moved the worst similarity from 0.91 to 0.95. */
const LOOSE_CROP_PASSES = 2;

export interface Face {
  box: Box;
  /** The detector's score; 1 for a face crop (`faceCrop`), which is not detected. */
  score: number;
  /** Eye centres, nose tip, mouth corners, in pixels of the oriented input image. */
  landmarks: Point[];
}

export interface SubjectFace extends Face {
  embedding: Float32Array;
  /** Probability the face is live; null when liveness was not asked for, and for a face crop. */
  liveness: number | null;
  quality: FaceQuality;
}

export interface FaceAnalysis {
  image: { width: number; height: number; format: ImageFormat; bytes: number; greyscale: boolean };
  /** Every face found, highest score first; for a face crop, the subject alone. */
  faces: Face[];
  /** The face the checks are about: the highest-scoring one (ties within 0.02 go to the larger). */
  subject: SubjectFace;
  /** How many faces other than the subject scored at least 0.9. */
  otherConfidentFaces: number;
  models: Partial<Record<keyof typeof modelInfo, { id: string; version: string }>>;
  /** Time in each stage; `queue` is the wait for a free worker, `total` includes it. */
  timingsMs: { queue: number; decode: number; detect: number; landmarks: number; embed: number; liveness: number; total: number };
}

export interface AnalyzeOptions {
  /** Run selfie liveness on the subject (default true). */
  liveness?: boolean;
  /** Throw MULTIPLE_FACES when another confident face is present (default false). */
  requireSingleFace?: boolean;
  /**
   * The image is a tight crop of one face, as 1:N "search crop" requests send (Verifik's
   * `POST /v2/face-recognition/search/crops`, crops up to about 120 x 120): the detector does
   * not run and the subject's box is the whole image, or, when the landmarks show the crop is
   * looser than a detector box, the square they fit. Alignment, embedding and quality are
   * those of a detected face. Liveness is always null, even if asked for (its model needs
   * 2.7x the face box of context, which a crop does not have); the score is 1, the face is the
   * only one and nothing checks that it is a face. Crops with more than about a quarter of
   * the face's size as margin on each side belong to the detecting path. Default false.
   */
  faceCrop?: boolean;
}

const ms = (start: number) => Math.round((performance.now() - start) * 100) / 100;

/** Shrink factor of the first decode (never enlarges). */
function detectionShrink(header: ImageHeader): number {
  const fit = Math.min(DET_WIDTH / header.width, DET_HEIGHT / header.height) * DETECT_OVERSAMPLE;
  return Math.max(1, 1 / fit);
}

function scaleBox(b: Box, s: number): Box {
  return { x1: b.x1 * s, y1: b.y1 * s, x2: b.x2 * s, y2: b.y2 * s };
}

/** Picks the subject: highest score, and of two within 0.02 of each other the larger face. */
function pickSubject(faces: Array<{ box: Box; score: number }>): number {
  let best = 0;
  for (let i = 1; i < faces.length; i++) {
    const a = faces[best], b = faces[i];
    const area = (f: { box: Box }) => (f.box.x2 - f.box.x1) * (f.box.y2 - f.box.y1);
    if (b.score > a.score + 0.02 || (Math.abs(b.score - a.score) <= 0.02 && area(b) > area(a))) best = i;
  }
  return best;
}

/** What every analysis reports of its image. */
function imageSummary(header: ImageHeader): FaceAnalysis["image"] {
  return { width: header.width, height: header.height, format: header.format, bytes: header.bytes, greyscale: header.channels <= 2 };
}

/**
 * Reads an image and analyses its faces on the calling thread: detection of every face with
 * landmarks, then for the subject an embedding, a quality report and (unless disabled)
 * selfie liveness. With `faceCrop` the whole image is the one face and nothing is detected.
 * Servers call `analyzeFaces` (pool.ts), which runs this in a worker.
 *
 * Throws the image errors of `readImageHeader`, NO_FACE_FOUND, and MULTIPLE_FACES when
 * `requireSingleFace` is set.
 */
export async function analyzeImage(input: ImageInput, options: AnalyzeOptions = {}): Promise<FaceAnalysis> {
  const started = performance.now();
  const bytes = toImageBytes(input);
  const header = await readImageHeader(bytes);
  if (options.faceCrop) return analyzeFaceCrop(bytes, header, started);
  // Decode small for detection; most selfies need nothing finer.
  const detectImage = await decodeImage(bytes, header, detectionShrink(header));
  let decodeMs = ms(started);

  const models = await getModelSet();
  let t = performance.now();
  const detected = await detectBoxes(models, detectImage);
  const detectMs = ms(t);
  if (detected.length === 0) {
    throw new AppError("NO_FACE_FOUND", "No face was found in the image.", { width: header.width, height: header.height });
  }
  const subjectIndex = pickSubject(detected);
  const others = detected.filter((b, i) => i !== subjectIndex && b.score >= CONFIDENT_FACE_SCORE).length;
  if (options.requireSingleFace && others > 0) {
    throw new AppError("MULTIPLE_FACES", `Found ${others + 1} faces; the image must show exactly one.`, { faces: others + 1 });
  }

  // A subject too small in the detection decode is decoded again, finer, for the models.
  const detectToOriginal = header.width / detectImage.width;
  const subjectSideOriginal = (detected[subjectIndex].box.y2 - detected[subjectIndex].box.y1) * detectToOriginal;
  let working = detectImage;
  if (subjectSideOriginal / detectToOriginal < MIN_MODEL_FACE && detectToOriginal > 1) {
    t = performance.now();
    working = await decodeImage(bytes, header, Math.max(1, subjectSideOriginal / (MIN_MODEL_FACE * 1.5)));
    decodeMs += ms(t);
  }
  const toOriginal = header.width / working.width;
  const boxes = detected.map((d) => ({ ...d, box: scaleBox(d.box, detectToOriginal / toOriginal) }));

  t = performance.now();
  const marks: Array<{ five: Point[]; all: Point[] }> = [];
  for (const b of boxes) marks.push(await detectLandmarks(models, working, b.box));
  const landmarksMs = ms(t);

  t = performance.now();
  const subjectWorking = boxes[subjectIndex];
  const subjectMarks = marks[subjectIndex].five;
  const aligned = alignFace(working, subjectMarks);
  const embedding = await embedFace(models, aligned);
  const embedMs = ms(t);

  t = performance.now();
  const liveness = options.liveness === false ? null : await selfieLiveness(models, working, subjectWorking.box);
  const livenessMs = options.liveness === false ? 0 : ms(t);

  const toImage = (p: Point): Point => [p[0] * toOriginal, p[1] * toOriginal];
  const faces: Face[] = boxes.map((b, i) => ({
    box: scaleBox(b.box, toOriginal),
    score: b.score,
    landmarks: marks[i].five.map(toImage),
  }));
  const subjectSquare = squareBox(subjectWorking.box);
  const quality = measureQuality(aligned, subjectMarks, (subjectSquare.y2 - subjectSquare.y1) * toOriginal);
  // Report faces highest score first, with the subject first among equals.
  const order = faces.map((_, i) => i).sort((a, b) => (a === subjectIndex ? -1 : b === subjectIndex ? 1 : faces[b].score - faces[a].score));
  return {
    image: imageSummary(header),
    faces: order.map((i) => faces[i]),
    subject: { ...faces[subjectIndex], embedding, liveness, quality },
    otherConfidentFaces: others,
    models: {
      detect: modelInfo.detect,
      landmark: modelInfo.landmark,
      feature: modelInfo.feature,
      ...(liveness === null ? {} : { liveness: modelInfo.liveness }),
    },
    timingsMs: { queue: 0, decode: decodeMs, detect: detectMs, landmarks: landmarksMs, embed: embedMs, liveness: livenessMs, total: ms(started) },
  };
}

/**
 * The `faceCrop` analysis. On tight crops of the sample photos' faces (cut at the detector's
 * own box) the detector boxes the whole crop, inset 4% at most, so the whole image is the box
 * it would have given. Its landmark square (side = box height) overhangs a crop narrower
 * than tall instead of shrinking to fit it, as a detected face's square would. A crop looser
 * than that (LOOSE_CROP) gets the box its landmarks imply, as a detector would have drawn it.
 */
async function analyzeFaceCrop(bytes: Buffer, header: ImageHeader, started: number): Promise<FaceAnalysis> {
  // A crop larger than the models need is decoded smaller, to the size the detecting path's
  // second decode gives a small face.
  const working = await decodeImage(bytes, header, Math.max(1, header.height / (MIN_MODEL_FACE * 1.5)));
  const decodeMs = ms(started);
  const models = await getModelSet();
  const toOriginal = header.width / working.width;

  let t = performance.now();
  let box: Box = { x1: 0, y1: 0, x2: working.width, y2: working.height };
  let marks = await detectLandmarks(models, working, box, { overhang: true });
  let refit = boxFromLandmarks(marks.all);
  if (refit.y2 - refit.y1 < LOOSE_CROP * working.height) {
    for (let pass = 0; pass < LOOSE_CROP_PASSES; pass++) {
      box = refit;
      marks = await detectLandmarks(models, working, box, { overhang: true });
      refit = boxFromLandmarks(marks.all);
    }
  }
  const landmarksMs = ms(t);

  t = performance.now();
  const aligned = alignFace(working, marks.five);
  const embedding = await embedFace(models, aligned);
  const embedMs = ms(t);

  const clipped: Box = { x1: Math.max(0, box.x1), y1: Math.max(0, box.y1), x2: Math.min(working.width, box.x2), y2: Math.min(working.height, box.y2) };
  const subject: Face = {
    box: scaleBox(clipped, toOriginal),
    score: 1,
    landmarks: marks.five.map((p): Point => [p[0] * toOriginal, p[1] * toOriginal]),
  };
  const quality = measureQuality(aligned, marks.five, (box.y2 - box.y1) * toOriginal);
  return {
    image: imageSummary(header),
    faces: [subject],
    subject: { ...subject, embedding, liveness: null, quality },
    otherConfidentFaces: 0,
    models: { landmark: modelInfo.landmark, feature: modelInfo.feature },
    timingsMs: { queue: 0, decode: decodeMs, detect: 0, landmarks: landmarksMs, embed: embedMs, liveness: 0, total: ms(started) },
  };
}
