import "server-only";
import type { Point } from "../geometry";
import type { RgbImage } from "../image";
import type { DocumentKind } from "./kinds";
import { DOCUMENT_KINDS } from "./kinds";
import type { CV } from "./opencv";
import type { Homography, Quad } from "./quad";
import { homographyFrom, sideLengths } from "./quad";

export interface RectifiedDocument {
  image: RgbImage;
  kind: DocumentKind;
  /** Input-image corners that became the canonical top-left, top-right, bottom-right, bottom-left. */
  source: Quad;
  /** Canonical document pixels to input-image pixels. */
  toImage: Homography;
}

/**
 * The four source corners starting at `start` (0-3), so that the first side is a long side
 * and, when `flip`, turned by 180 degrees.
 */
export function documentCorners(corners: Quad, flip: boolean): Quad {
  const sides = sideLengths(corners);
  // The top and bottom of the canonical document are its long sides.
  let start = sides[0] + sides[2] >= sides[1] + sides[3] ? 0 : 3;
  if (flip) start = (start + 2) % 4;
  return [0, 1, 2, 3].map((i) => corners[(start + i) % 4]) as Quad;
}

/**
 * Warps the document to its canonical size (ID-1 1012 x 638, passport page 1250 x 880:
 * 300 ppi for ID-1 at 11.8 px/mm, 254 ppi for a passport page), landscape, bilinear.
 * `flip` turns it by 180 degrees; which way up it is, is decided by where the portrait is
 * found (see portrait.ts). `scale` < 1 gives a smaller copy (for the face detector, whose
 * input is 320 x 240 anyway).
 */
export function rectifyDocument(cv: CV, full: InstanceType<CV["Mat"]>, corners: Quad, kind: DocumentKind, flip: boolean, scale = 1): RectifiedDocument {
  const width = Math.round(DOCUMENT_KINDS[kind].width * scale), height = Math.round(DOCUMENT_KINDS[kind].height * scale);
  const source = documentCorners(corners, flip);
  const target: Point[] = [[0, 0], [width, 0], [width, height], [0, height]];
  const toImage = homographyFrom(target, source);
  // warpPerspective samples dst(x, y) = src(M^-1 (x, y)), with M mapping source to target; it
  // takes M and inverts it, so pass WARP_INVERSE_MAP with our target-to-source map instead.
  const m = cv.matFromArray(3, 3, cv.CV_64F, toImage);
  const out = new cv.Mat();
  cv.warpPerspective(full, out, m, new cv.Size(width, height), cv.INTER_LINEAR | cv.WARP_INVERSE_MAP, cv.BORDER_REPLICATE, new cv.Scalar(0, 0, 0, 0));
  const image: RgbImage = { data: Uint8Array.from(out.data), width, height };
  m.delete();
  out.delete();
  return { image, kind, source, toImage };
}

/** The canonical document turned by 180 degrees, in place of warping the input again. */
export function rotateHalfTurn(doc: RectifiedDocument): RectifiedDocument {
  const { data, width, height } = doc.image;
  const out = new Uint8Array(data.length);
  const n = width * height;
  for (let i = 0; i < n; i++) {
    const j = (n - 1 - i) * 3;
    out[i * 3] = data[j];
    out[i * 3 + 1] = data[j + 1];
    out[i * 3 + 2] = data[j + 2];
  }
  const source = [doc.source[2], doc.source[3], doc.source[0], doc.source[1]] as Quad;
  const target: Point[] = [[0, 0], [width, 0], [width, height], [0, height]];
  return { image: { data: out, width, height }, kind: doc.kind, source, toImage: homographyFrom(target, source) };
}
