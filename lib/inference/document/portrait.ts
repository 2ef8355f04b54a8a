import "server-only";
import type { SubjectFace } from "../analyze";
import { detectBoxes, detectLandmarks, squareBox } from "../detect";
import { alignFace, embedFace, measureQuality } from "../face";
import type { Box } from "../geometry";
import type { ModelSet } from "../models";
import type { RectifiedDocument } from "./rectify";
import { rotateHalfTurn } from "./rectify";
import { portraitFits } from "./select";

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

async function largestFace(models: ModelSet, doc: RectifiedDocument, strict: boolean) {
  const { width, height } = doc.image;
  const faces = (await detectBoxes(models, doc.image)).filter(
    (f) =>
      portraitFits(f.box, width, height) &&
      (!strict || (f.box.y2 - f.box.y1 >= STRICT_FACE_HEIGHT_SHARE * height && (f.box.x1 + f.box.x2) / 2 < 0.5 * width)),
  );
  faces.sort((a, b) => (b.box.y2 - b.box.y1) * b.score - (a.box.y2 - a.box.y1) * a.score);
  return faces[0] ?? null;
}

/**
 * Finds the portrait on the rectified document: the largest face where a portrait belongs
 * (select.ts, PORTRAIT_PLACE; a ghost image is smaller), on the canonical image or (when
 * there is none) on the image turned by 180 degrees, since a document can be photographed
 * either way up and the detector does not find upside-down faces. The face gets landmarks,
 * an ArcFace embedding and a quality report, as a selfie's subject does. `strict` (a whole
 * picture taken for the document) also wants the face in the left half and a quarter of the
 * height.
 */
export async function findPortrait(models: ModelSet, upright: RectifiedDocument, options: { strict?: boolean } = {}): Promise<PortraitSearch> {
  const strict = options.strict ?? false;
  let doc = upright;
  let flipped = false;
  let found = await largestFace(models, doc, strict);
  if (!found) {
    const turned = rotateHalfTurn(upright);
    found = await largestFace(models, turned, strict);
    if (found) {
      doc = turned;
      flipped = true;
    }
  }
  if (!found) return { document: upright, portrait: null, flipped: false };
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
