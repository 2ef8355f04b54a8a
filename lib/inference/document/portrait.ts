import "server-only";
import type { SubjectFace } from "../analyze";
import { detectBoxes, detectLandmarks, squareBox } from "../detect";
import { alignFace, embedFace, measureQuality } from "../face";
import type { Box } from "../geometry";
import type { RgbImage } from "../image";
import type { ModelSet } from "../models";
import type { RectifiedDocument } from "./rectify";
import { rotateHalfTurn } from "./rectify";

/**
 * Where a document's portrait may be, in the document's own proportions: its face's centre
 * within 5-42% of the length from a short side (ID-1 cards and passport data pages put the
 * portrait at the left; a document photographed upside down has it at the right), 20-80% of
 * the height, and the face box 18-65% of the document's height (ICAO-conforming portraits
 * fill 0.36-0.41 of it with the whole head; the detector's box is tighter).
 */
export const PORTRAIT_PLACE = { fromShortSide: [0.05, 0.42], height: [0.2, 0.8], faceHeight: [0.18, 0.65] } as const;

/** True when a face box on a rectified document (`width` x `height`, either way up) sits where its portrait belongs. */
export function portraitFits(box: Box, width: number, height: number): boolean {
  const u = (box.x1 + box.x2) / 2 / width, v = (box.y1 + box.y2) / 2 / height;
  const h = (box.y2 - box.y1) / height;
  const within = (x: number, [lo, hi]: readonly [number, number]) => x >= lo && x <= hi;
  return within(Math.min(u, 1 - u), PORTRAIT_PLACE.fromShortSide) && within(v, PORTRAIT_PLACE.height) && within(h, PORTRAIT_PLACE.faceHeight);
}

/**
 * When the whole picture is taken for the document (no outline found, document proportions),
 * the face must look like a document portrait before the picture counts as a document: at
 * least a quarter of its height (0.36-0.41 on ICAO-conforming portraits) and centred in its
 * left half, where ID-1 cards and passport data pages put the portrait.
 */
const STRICT_FACE_HEIGHT_SHARE = 0.25;

export interface DocumentPortrait {
  /** The portrait's printed photo, estimated from the face box, in canonical document pixels. */
  box: Box;
  /** The face for comparison with a selfie, in canonical document pixels; liveness is not run on it. */
  face: SubjectFace;
}

export interface PortraitSearch {
  document: RectifiedDocument;
  portrait: DocumentPortrait | null;
  /** The document had to be turned by 180 degrees for the face to be upright. */
  flipped: boolean;
}

function clampBox(b: Box, width: number, height: number): Box {
  return { x1: Math.max(0, b.x1), y1: Math.max(0, b.y1), x2: Math.min(width, b.x2), y2: Math.min(height, b.y2) };
}

/**
 * The part of a canonical document its portrait lies in (see PORTRAIT_PLACE: the face's
 * centre 5-42% of the length from the left end, 20-80% of the height), with room for the
 * largest face box: 2-52% of the length, 8-92% of the height. Cut out and given to the
 * detector alone, the face fills about twice as many of the detector's 320 x 240 pixels as it
 * does on the whole document.
 */
const PORTRAIT_ZONE = { u: [0.02, 0.52], v: [0.08, 0.92] } as const;

/**
 * How the portrait is looked for, in turn, until a face is found: on the whole document; in
 * the portrait's zone, enlarged, with its contrast stretched (stretchContrast), for a faded or
 * washed-out portrait (a glint across it, a pale photo); in the zone descreened (descreen),
 * for a printed portrait whose halftone dots and their moire with the camera's pixels break
 * up the face.
 *
 * The zone enlarged and nothing else is not a look of its own: on tuning seeds 1 and 2 it
 * found a face on one of the 64 images that came to the enhanced looks (a screen, at 0.50;
 * without it the later looks find that portrait, and the score is the same) where the
 * stretched and descreened zones found faces on 57, and it cost two of their six detector
 * runs per outline, the slowest part of a print's or a screen's analysis.
 */
export const PORTRAIT_PASSES = ["document", "zone-stretched", "zone-descreened"] as const;
export type PortraitPass = (typeof PORTRAIT_PASSES)[number];
/** The plain look, and the enhanced ones that take several detector runs (select.ts tries them only when the plain one found nothing). */
export const PLAIN_PASSES: readonly PortraitPass[] = ["document"];
export const ENHANCED_PASSES: readonly PortraitPass[] = ["zone-stretched", "zone-descreened"];

/**
 * Detector score a face needs in the portrait's zone, below the detector's general 0.7
 * (detect.ts, FACE_SCORE_THRESHOLD): there the face is expected, at a known place and size on
 * a located document (PORTRAIT_PLACE), and a faded or printed portrait scores lower.
 */
const ZONE_FACE_SCORE = 0.5;

/**
 * Detector score at which a face found by an enhanced look on one image is taken without
 * looking at the other way up: a face on the image turned over would have to score higher
 * still. On tuning seeds 1 and 2, the turned image's face beat the upright one's only
 * against faces of 0.55-0.91; upright faces of 0.99 and more met 0.68-0.81 on the turned
 * image, if any.
 */
const CERTAIN_FACE_SCORE = 0.99;

/**
 * Gaussian blur of the descreening pass, as a share of the document's height: 0.54 mm on an
 * ID-1 card, 0.9 mm on a passport page, two to five periods of an 85-150 lpi halftone screen.
 */
const DESCREEN_SIGMA = 0.01;

/** The portrait zone of a document image: its pixels and where they start. */
function portraitZone(image: RgbImage): { image: RgbImage; x0: number; y0: number } {
  const x0 = Math.round(PORTRAIT_ZONE.u[0] * image.width), x1 = Math.round(PORTRAIT_ZONE.u[1] * image.width);
  const y0 = Math.round(PORTRAIT_ZONE.v[0] * image.height), y1 = Math.round(PORTRAIT_ZONE.v[1] * image.height);
  const width = x1 - x0, height = y1 - y0;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) data.set(image.data.subarray(((y0 + y) * image.width + x0) * 3, ((y0 + y) * image.width + x1) * 3), y * width * 3);
  return { image: { data, width, height }, x0, y0 };
}

/** The 1st and 99th percentile of a luma histogram of n pixels. */
function lumaRange(hist: Uint32Array, n: number): [number, number] {
  let lo = 0, hi = 255;
  for (let k = 0, acc = 0; k < 256; k++) if ((acc += hist[k]) >= 0.01 * n) { lo = k; break; }
  for (let k = 255, acc = 0; k >= 0; k--) if ((acc += hist[k]) >= 0.01 * n) { hi = k; break; }
  return [lo, Math.max(lo + 1, hi)];
}

/** The image with the 1st-99th percentile of its luma stretched over 0-255, the same gain on R, G and B. */
export function stretchContrast(image: RgbImage): RgbImage {
  const { data, width, height } = image;
  const hist = new Uint32Array(256);
  const n = width * height;
  for (let i = 0; i < n; i++) hist[(data[i * 3] * 77 + data[i * 3 + 1] * 150 + data[i * 3 + 2] * 29) >> 8]++;
  const [lo, hi] = lumaRange(hist, n);
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.max(0, Math.min(255, Math.round(((v - lo) * 255) / (hi - lo))));
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = lut[data[i]];
  return { data: out, width, height };
}

/**
 * A print's dots averaged back into tones: luma blurred by a Gaussian of `sigma` px (which
 * takes out the halftone and the moire it makes with the camera's pixels, and leaves a face
 * 18 and more sigmas tall), contrast stretched as in stretchContrast, as a grey RGB image.
 */
export function descreen(image: RgbImage, sigma: number): RgbImage {
  const { data, width, height } = image;
  const n = width * height;
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  const luma = new Float32Array(n);
  for (let i = 0; i < n; i++) luma[i] = (data[i * 3] * 77 + data[i * 3 + 1] * 150 + data[i * 3 + 2] * 29) / 256;
  // Separable: rows into `across`, then columns back into `luma`; edges clamped.
  const across = new Float32Array(n);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let v = 0;
      for (let k = -radius; k <= radius; k++) v += kernel[k + radius] * luma[row + Math.min(width - 1, Math.max(0, x + k))];
      across[row + x] = v;
    }
  }
  const hist = new Uint32Array(256);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 0;
      for (let k = -radius; k <= radius; k++) v += kernel[k + radius] * across[Math.min(height - 1, Math.max(0, y + k)) * width + x];
      luma[y * width + x] = v;
      hist[Math.min(255, Math.round(v))]++;
    }
  }
  const [lo, hi] = lumaRange(hist, n);
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = Math.max(0, Math.min(255, Math.round(((luma[i] - lo) * 255) / (hi - lo))));
  return { data: out, width, height };
}

/**
 * Face boxes of one pass, in pixels of the document image. One detector pass at full fill:
 * a portrait is at most 65% of the document's height (PORTRAIT_PLACE), well within the
 * detector's largest anchors even in the enlarged zone, so the padded passes for faces
 * that fill a photo would only cost time.
 */
async function facesOfPass(models: ModelSet, image: RgbImage, pass: PortraitPass): Promise<Array<{ box: Box; score: number }>> {
  if (pass === "document") return detectBoxes(models, image, { fills: [1] });
  const zone = portraitZone(image);
  let input: RgbImage, scale = 1;
  if (pass === "zone-descreened") {
    // Blurred by a sigma of several pixels, the zone loses nothing at half its size.
    input = descreen(halve(zone.image), (DESCREEN_SIGMA * image.height) / 2);
    scale = zone.image.width / input.width;
  } else {
    input = stretchContrast(zone.image);
  }
  const faces = await detectBoxes(models, input, { fills: [1], minScore: ZONE_FACE_SCORE });
  return faces.map((f) => ({ score: f.score, box: { x1: f.box.x1 * scale + zone.x0, y1: f.box.y1 * scale + zone.y0, x2: f.box.x2 * scale + zone.x0, y2: f.box.y2 * scale + zone.y0 } }));
}

/** The image at half its size, 2 x 2 pixels averaged (an odd last row or column dropped). */
function halve(image: RgbImage): RgbImage {
  const width = image.width >> 1, height = image.height >> 1;
  const data = new Uint8Array(width * height * 3);
  const src = image.data, stride = image.width * 3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 2 * y * stride + 6 * x, o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) data[o + c] = (src[i + c] + src[i + 3 + c] + src[i + stride + c] + src[i + stride + 3 + c] + 2) >> 2;
    }
  }
  return { data, width, height };
}

/** A portrait's face found by findPortraitFace: which image (0 upright, 1 turned), its size, the face's box and score. */
export interface PortraitFace {
  index: number;
  width: number;
  height: number;
  box: Box;
  score: number;
}

/** The stricter rule for a whole picture taken for the document (STRICT_FACE_HEIGHT_SHARE, left half). */
function strictFits(box: Box, width: number, height: number): boolean {
  return box.y2 - box.y1 >= STRICT_FACE_HEIGHT_SHARE * height && (box.x1 + box.x2) / 2 < 0.5 * width;
}

/** A face found on a copy of the document, in pixels of the document at `width` x `height`. */
function scaleFace(face: PortraitFace, width: number, height: number): PortraitFace {
  const sx = width / face.width, sy = height / face.height;
  const { x1, y1, x2, y2 } = face.box;
  return { ...face, width, height, box: { x1: x1 * sx, y1: y1 * sy, x2: x2 * sx, y2: y2 * sy } };
}

/**
 * The portrait's face on a canonical document image given either way up (`images`, upright
 * first), by the passes of PORTRAIT_PASSES (or `passes`) in turn; a face counts where a portrait belongs
 * (PORTRAIT_PLACE) and, when `strict` (a whole picture taken for the document),
 * in the left half and a quarter of the height tall. On the whole document, the first image
 * with such a face gives its largest (a ghost image is smaller). The later passes make the
 * detector see faces in more places, so every image gets them and the most confident face
 * wins: a face that only an enhanced look finds at one end never beats a clearer one at the
 * other. A face of CERTAIN_FACE_SCORE ends the pass: no face can be clearer.
 */
export async function findPortraitFace(
  models: ModelSet,
  images: Array<() => RgbImage>,
  options: { strict?: boolean; passes?: readonly PortraitPass[] } = {},
): Promise<PortraitFace | null> {
  const strict = options.strict ?? false;
  for (const pass of options.passes ?? PORTRAIT_PASSES) {
    let best: PortraitFace | null = null;
    for (const [index, imageOf] of images.entries()) {
      // The whole document turned over is looked at through the upright one's detector input
      // (detect.ts, halfTurn), so the turned copy is only made for the zone passes.
      const turnedWhole = pass === "document" && index === 1;
      const image = turnedWhole ? images[0]() : imageOf();
      const { width, height } = image;
      const faces = (turnedWhole ? await detectBoxes(models, image, { fills: [1], halfTurn: true }) : await facesOfPass(models, image, pass)).filter(
        (f) =>
          portraitFits(f.box, width, height) &&
          (!strict || strictFits(f.box, width, height)),
      );
      if (faces.length === 0) continue;
      if (pass === "document") {
        faces.sort((a, b) => (b.box.y2 - b.box.y1) * b.score - (a.box.y2 - a.box.y1) * a.score);
        return { index, width, height, ...faces[0] };
      }
      for (const f of faces) if (!best || f.score > best.score) best = { index, width, height, ...f };
      if (best && best.score >= CERTAIN_FACE_SCORE) break;
    }
    if (best) return best;
  }
  return null;
}

/**
 * Finds the portrait on the rectified document (findPortraitFace) on the canonical image or
 * on the image turned by 180 degrees, since a document can be photographed either way up and
 * the detector does not find upside-down faces. `found` is the face already found on a copy
 * of the same document (select.ts looks at one at half size): its box is scaled and the
 * detector is not run again. The face gets landmarks, an ArcFace embedding and a quality
 * report, as a selfie's subject does. `strict`: see findPortraitFace.
 */
export async function findPortrait(models: ModelSet, upright: RectifiedDocument, options: { strict?: boolean; found?: PortraitFace | null } = {}): Promise<PortraitSearch> {
  let turned: RectifiedDocument | null = null;
  const turnedDoc = () => (turned ??= rotateHalfTurn(upright));
  let found = options.found ? scaleFace(options.found, upright.image.width, upright.image.height) : null;
  if (found && options.strict && !strictFits(found.box, found.width, found.height)) found = null;
  found ??= await findPortraitFace(models, [() => upright.image, () => turnedDoc().image], { strict: options.strict });
  if (!found) return { document: upright, portrait: null, flipped: false };
  const flipped = found.index === 1;
  const doc = flipped ? turnedDoc() : upright;
  const { width, height } = doc.image;
  const marks = await detectLandmarks(models, doc.image, found.box);
  const aligned = alignFace(doc.image, marks.five);
  const embedding = await embedFace(models, aligned);
  const square = squareBox(found.box);
  const quality = measureQuality(aligned, marks.five, square.y2 - square.y1);
  // A portrait photo is about 1.6 face widths wide and 1.9 face heights tall, the face a
  // little above its centre (ICAO 9303 part 3 proportions).
  const fw = found.box.x2 - found.box.x1, fh = found.box.y2 - found.box.y1;
  const cx = (found.box.x1 + found.box.x2) / 2, cy = (found.box.y1 + found.box.y2) / 2 + 0.12 * fh;
  const box = clampBox({ x1: cx - 0.8 * fw, y1: cy - 0.95 * fh, x2: cx + 0.8 * fw, y2: cy + 0.95 * fh }, width, height);
  return {
    document: doc,
    flipped,
    portrait: {
      box,
      face: { box: found.box, score: found.score, landmarks: marks.five, embedding, liveness: null, quality },
    },
  };
}
