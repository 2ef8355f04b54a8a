import "server-only";
import sharp from "sharp";
import type { ImageFormat, ImageInput } from "../image";
import { decodeImage, readImageHeader, toImageBytes } from "../image";
import { getModelSet, modelInfo } from "../models";
import type { Point } from "../geometry";
import type { DocumentFeatures } from "./cues/measure";
import { measureFeatures } from "./cues/measure";
import type { CameraMetadata } from "./exif";
import { NO_CAMERA_METADATA, readCameraMetadata } from "./exif";
import type { DocumentErrorCode, DocumentKind } from "./kinds";
import { cutBy, geometryError, locateDocument, otherDocuments, toGrey } from "./locate";
import { loadOpenCv } from "./opencv";
import type { DocumentPortrait } from "./portrait";
import { findPortrait } from "./portrait";
import type { Quad } from "./quad";
import { applyHomography } from "./quad";
import { rectifyDocument } from "./rectify";
import { selectDocument } from "./select";
import type { DocumentCues } from "./score";
import { scoreDocument } from "./score";

export type DocumentSide = "front" | "back";

export interface DocumentAnalysisOptions {
  /** The front side must show the holder's portrait (DOCUMENT_PHOTO_NOT_FOUND otherwise); default "front". */
  side?: DocumentSide;
}

export interface DocumentAnalysis {
  /** Liveness 0..1 (high: a genuine document photographed directly); null when `error` stopped the check. */
  score: number | null;
  error: DocumentErrorCode | null;
  /** The outline in pixels of the input image (EXIF orientation applied), clockwise from the top-left as seen in the image. */
  corners: Quad | null;
  kind: DocumentKind | null;
  side: DocumentSide;
  image: { width: number; height: number; format: ImageFormat; bytes: number };
  /** Each attack type's probability and the cues behind it; null when `error` stopped the check before them. */
  cues: DocumentCues | null;
  /** The measurements the cues were computed from. */
  features: DocumentFeatures | null;
  /**
   * The portrait on the front side: its photo's box and the face (with the embedding to
   * compare a selfie with) in pixels of the rectified document (`documentSize`); `corners`,
   * that box in pixels of the input image; `jpeg`, the photo cut from the rectified document.
   */
  portrait: (DocumentPortrait & { corners: Quad; jpeg: Uint8Array }) | null;
  /** Size of the rectified document the portrait is given in. */
  documentSize: { width: number; height: number } | null;
  /** The canonical document was turned by 180 degrees to put the portrait upright. */
  upsideDown: boolean;
  camera: CameraMetadata;
  models: Partial<Record<keyof typeof modelInfo, { id: string; version: string }>>;
  timingsMs: { queue: number; decode: number; locate: number; rectify: number; portrait: number; cues: number; total: number };
}

const ms = (start: number) => Math.round((performance.now() - start) * 100) / 100;

/** The portrait as a JPEG for the reviewer, cut from the rectified document. */
async function portraitJpeg(doc: { data: Uint8Array; width: number; height: number }, box: { x1: number; y1: number; x2: number; y2: number }): Promise<Uint8Array> {
  const left = Math.max(0, Math.floor(box.x1)), top = Math.max(0, Math.floor(box.y1));
  const width = Math.min(doc.width - left, Math.ceil(box.x2 - box.x1)), height = Math.min(doc.height - top, Math.ceil(box.y2 - box.y1));
  const jpeg = await sharp(doc.data, { raw: { width: doc.width, height: doc.height, channels: 3 } })
    .extract({ left, top, width, height })
    .jpeg({ quality: 90 })
    .toBuffer();
  // A copy with a buffer of its own: the worker transfers it to the main thread.
  return Uint8Array.from(jpeg);
}

/**
 * Document liveness of one photo on the calling thread: locate the document, rectify it,
 * find the portrait (front side), measure the screen, print and digital cues and score
 * 1 - the most probable attack. Servers call `analyzeDocument` (pool.ts), which runs this
 * in an inference worker.
 *
 * Throws the image errors of `readImageHeader`; document problems are returned in `error`
 * with `score: null`.
 */
export async function analyzeDocumentImage(input: ImageInput, options: DocumentAnalysisOptions = {}): Promise<DocumentAnalysis> {
  const started = performance.now();
  const side = options.side ?? "front";
  const bytes = toImageBytes(input);
  const header = await readImageHeader(bytes);
  const [rgb, meta] = await Promise.all([decodeImage(bytes, header, 1), sharp(bytes).metadata().catch(() => null)]);
  const camera = meta ? readCameraMetadata(meta.exif) : NO_CAMERA_METADATA;
  const grey = toGrey(rgb);
  const decodeMs = ms(started);
  const { cv } = await loadOpenCv();

  const result: DocumentAnalysis = {
    score: null,
    error: null,
    corners: null,
    kind: null,
    side,
    image: { width: header.width, height: header.height, format: header.format, bytes: header.bytes },
    cues: null,
    features: null,
    portrait: null,
    documentSize: null,
    upsideDown: false,
    camera,
    models: {},
    timingsMs: { queue: 0, decode: decodeMs, locate: 0, rectify: 0, portrait: 0, cues: 0, total: 0 },
  };
  const finish = () => {
    result.timingsMs.total = ms(started);
    return result;
  };

  let t = performance.now();
  const full = new cv.Mat(rgb.height, rgb.width, cv.CV_8UC3);
  try {
    full.data.set(rgb.data);
    const located = locateDocument(cv, rgb, grey, { full });
    result.timingsMs.locate = ms(t);
    const first = located.outlines.find((o) => !o.fullFrame) ?? located.outlines[0];
    if (first && !first.fullFrame) {
      result.corners = first.corners;
      result.kind = first.kind;
    }
    if (located.error || !first) {
      result.error = located.error ?? "DOCUMENT_NOT_FOUND";
      return finish();
    }

    t = performance.now();
    const models = side === "front" ? await getModelSet() : null;
    if (models) result.models = { detect: modelInfo.detect, landmark: modelInfo.landmark, feature: modelInfo.feature };
    const selected = await selectDocument(cv, rgb, full, models, located.outlines);
    result.timingsMs.portrait += ms(t);
    if (!selected) {
      // Only the frame itself was a candidate and it shows no portrait: no document at all.
      result.error = located.outlines.every((o) => o.fullFrame) ? "DOCUMENT_NOT_FOUND" : (geometryError(first.corners, rgb.width, rgb.height) ?? "DOCUMENT_PHOTO_NOT_FOUND");
      return finish();
    }
    const { outline } = selected;
    result.corners = outline.corners;
    result.kind = outline.kind;
    if (cutBy(outline, located.cut)) {
      result.error = "DOCUMENT_CROPPED";
      return finish();
    }
    if (!outline.fullFrame) {
      result.error = otherDocuments(outline, located.outlines, rgb.width, rgb.height).length > 0 ? "TOO_MANY_DOCUMENTS" : geometryError(outline.corners, rgb.width, rgb.height);
      if (result.error) return finish();
    }

    t = performance.now();
    const rectified = rectifyDocument(cv, full, outline.corners, outline.kind, false);
    result.timingsMs.rectify = ms(t);
    let document = rectified;
    if (models) {
      t = performance.now();
      const search = await findPortrait(models, rectified, { strict: outline.fullFrame, found: selected.face });
      result.timingsMs.portrait += ms(t);
      if (!search.portrait) {
        result.error = "DOCUMENT_PHOTO_NOT_FOUND";
        return finish();
      }
      document = search.document;
      result.upsideDown = search.flipped;
      const { box } = search.portrait;
      const corners = ([[box.x1, box.y1], [box.x2, box.y1], [box.x2, box.y2], [box.x1, box.y2]] as Point[]).map((p) => applyHomography(document.toImage, p)) as Quad;
      result.portrait = { ...search.portrait, corners, jpeg: await portraitJpeg(document.image, box) };
    }
    result.documentSize = { width: document.image.width, height: document.image.height };

    t = performance.now();
    const features = measureFeatures({ rgb, grey, outline, document, camera });
    result.features = features;
    result.cues = scoreDocument(features);
    result.score = result.cues.score;
    result.timingsMs.cues = ms(t);
    return finish();
  } finally {
    full.delete();
  }
}
