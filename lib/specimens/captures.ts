import sharp, { type Sharp } from "sharp";
import type { PlaneTexture } from "./backgrounds";
import { LightField, photoBackdrop, sampleTexture, tableTexture } from "./backgrounds";
import type { Camera, Placement, Scene, Surface } from "./camera";
import { cameraWith, photograph, placeDocument } from "./camera";
import type { DocumentRaster } from "./document";
import type { Mat3, Point, Quad } from "./geometry";
import { apply, invert, mapRect, multiply, quadBounds, rotation, translation } from "./geometry";
import type { LinearImage } from "./raster";
import { createLinear, samplePlane, toLinear } from "./raster";
import type { Rng } from "./rng";

export type SpecimenLabel = "genuine" | "screen" | "print" | "digital";
export const SPECIMEN_LABELS: readonly SpecimenLabel[] = ["genuine", "screen", "print", "digital"];

/** One specimen image with its ground truth. */
export interface Capture {
  label: SpecimenLabel;
  /** Encoded image: JPEG for every camera capture, PNG or JPEG for digital originals. */
  image: Buffer;
  format: "jpeg" | "png";
  width: number;
  height: number;
  /**
   * The document's corners in output pixels, clockwise from the document's own top-left
   * (TL, TR, BR, BL), with (0, 0) the top-left corner of the top-left pixel. For cards with
   * rounded corners, the corner of the straight edges' extensions.
   */
  corners: Quad;
}

/** Local aliases: transpiled to CommonJS (tsx, vitest), every call through an import is a getter call. */
const bilinear = samplePlane;
const textureAt = sampleTexture;

/** Tilt and roll limits of hand-held captures: up to 25 degrees off frontal (the spec), 15 of roll. */
export const MAX_TILT = (25 * Math.PI) / 180;
export const MAX_ROLL = (15 * Math.PI) / 180;
/** The document's bounding box spans 25-70% of the frame width. */
export const FILL: [number, number] = [0.25, 0.7];

/** Plane millimetres per image pixel at image point (x, y) (square root of the Jacobian's determinant). */
function mmPerPixel(planeToImage: Mat3, [x, y]: Point): number {
  const inv = invert(planeToImage);
  const [u0, v0] = apply(inv, [x, y]);
  const [u1, v1] = apply(inv, [x + 1, y]);
  const [u2, v2] = apply(inv, [x, y + 1]);
  return Math.sqrt(Math.abs((u1 - u0) * (v2 - v0) - (v1 - v0) * (u2 - u0)));
}

/** Centre of a quad (mean of its corners). */
function quadCentre(q: Quad): Point {
  return [(q[0][0] + q[1][0] + q[2][0] + q[3][0]) / 4, (q[0][1] + q[1][1] + q[2][1] + q[3][1]) / 4];
}

/**
 * A plane texture of an sRGB raster `widthMm` wide, decoded to linear light and reduced so
 * that a texel is half the camera's photosite footprint `footprintMm`: bilinear lookups at
 * photosite centres then return the footprint's average (about a box of the photosite's
 * size) rather than point samples of detail finer than the photosite, which would exaggerate
 * aliasing beyond what a real sensor shows (and still let through everything it does show).
 */
export async function rasterTexture(raster: { width: number; height: number; data: Buffer }, widthMm: number, footprintMm: number): Promise<{ image: LinearImage; pxPerMm: number }> {
  const texelMm = footprintMm / 2;
  const native = raster.width / widthMm;
  let { width, height, data } = raster;
  if (1 / texelMm < native * 0.9) {
    width = Math.max(16, Math.round(widthMm / texelMm));
    height = Math.max(16, Math.round((raster.height * width) / raster.width));
    data = await sharp(raster.data, { raw: { width: raster.width, height: raster.height, channels: 3 } }).resize(width, height, { fit: "fill", kernel: "lanczos3" }).raw().toBuffer();
  }
  const image = toLinear({ width, height, data });
  return { image, pxPerMm: width / widthMm };
}

/** The plane footprint (mm) of one photosite at the document's centre: its pitch times the aperture. */
export function footprintMm(placement: Placement, camera: Camera): number {
  return mmPerPixel(placement.planeToImage, quadCentre(placement.corners)) * camera.aperture;
}

/** What lies around the object: a table in its plane, or the room behind it. */
export interface Surroundings {
  table: PlaneTexture | null;
  backdrop: LinearImage | null;
}

/**
 * Draws the surroundings: with probability `tableOdds` a table top in the document's plane
 * (it lies there), otherwise the room behind a hand-held document.
 */
export async function chooseSurroundings(rng: Rng, placement: Placement, camera: Camera, tableOdds: number): Promise<Surroundings> {
  if (rng.chance(tableOdds)) {
    const pxPerMm = 1 / mmPerPixel(placement.planeToImage, quadCentre(placement.corners));
    return { table: tableTexture(rng.fork("table"), placement.planeToImage, camera.width, camera.height, pxPerMm), backdrop: null };
  }
  return { table: null, backdrop: await photoBackdrop(rng.fork("backdrop"), camera.width, camera.height) };
}

/**
 * A glint: the reflection of a lamp in a laminate, polycarbonate or screen glass, a soft
 * elliptical highlight that can clip the sensor. `at` returns added radiance in units of the
 * white document's; a highlight of peak 0 is none.
 */
export class Highlight {
  private readonly cu: number;
  private readonly cv: number;
  private readonly invRu: number;
  private readonly invRv: number;
  private readonly ca: number;
  private readonly sa: number;
  readonly peak: number;

  constructor(rng: Rng, w: number, h: number, odds: number, scale = 1) {
    const present = rng.chance(odds);
    this.cu = rng.uniform(0.1, 0.9) * w;
    this.cv = rng.uniform(0.1, 0.9) * h;
    this.invRu = 1 / (rng.uniform(0.05, 0.3) * w);
    this.invRv = 1 / (rng.uniform(0.05, 0.3) * h);
    this.peak = present ? rng.uniform(0.2, 1.4) * scale : 0;
    const a = rng.uniform(0, Math.PI);
    this.ca = Math.cos(a);
    this.sa = Math.sin(a);
  }

  at(u: number, v: number): number {
    if (this.peak === 0) return 0;
    const du = u - this.cu;
    const dv = v - this.cv;
    const x = (du * this.ca + dv * this.sa) * this.invRu;
    const y = (dv * this.ca - du * this.sa) * this.invRv;
    const r2 = x * x + y * y;
    return r2 > 9 ? 0 : this.peak * Math.exp(-r2);
  }
}

/**
 * The soft shadow an object lying on a table casts right around itself (a card is 0.76 mm
 * thick, a booklet a few mm): the table darkened by up to `depth` within a few mm of the
 * outline, offset away from the light.
 */
export class ContactShadow {
  private readonly u0: number;
  private readonly v0: number;
  private readonly w: number;
  private readonly h: number;
  private readonly depth: number;
  private readonly invSoft: number;
  private readonly reach: number;

  constructor(rng: Rng, outline: { u0: number; v0: number; w: number; h: number }, thickness: number) {
    this.u0 = outline.u0 + rng.uniform(-1, 1) * thickness;
    this.v0 = outline.v0 + rng.uniform(-1, 1) * thickness;
    this.w = outline.w;
    this.h = outline.h;
    this.depth = rng.uniform(0.2, 0.5);
    const soft = rng.uniform(0.6, 2.5) * thickness;
    this.invSoft = 1 / soft;
    this.reach = 6 * soft;
  }

  at(u: number, v: number): number {
    const d = distanceToRect(u - this.u0, v - this.v0, this.w, this.h);
    return d > this.reach ? 1 : 1 - this.depth * Math.exp(-d * this.invSoft);
  }
}

/** Distance (mm) from (u, v) to the rectangle [0, w] x [0, h]; 0 inside. */
function distanceToRect(u: number, v: number, w: number, h: number): number {
  const du = u < 0 ? -u : u > w ? u - w : 0;
  const dv = v < 0 ? -v : v > h ? v - h : 0;
  return Math.sqrt(du * du + dv * dv);
}

/** ISO/IEC 7810 ID-1 corner radius. */
const ID1_CORNER_RADIUS = 3.18;

/** Outside the rounded corners of a w x h card of corner radius r. */
function outsideRoundedCorner(u: number, v: number, w: number, h: number, r: number): boolean {
  const du = u < r ? r - u : u > w - r ? u - (w - r) : 0;
  const dv = v < r ? r - v : v > h - r ? v - (h - r) : 0;
  return du > 0 && dv > 0 && du * du + dv * dv > r * r;
}

/**
 * The facing page of an open passport booklet, above the data page: a pale printed page
 * (pxPerMm texels) with its own faint pattern, shaded towards the binding.
 */
function facingPage(rng: Rng, w: number, h: number): Texture {
  const pxPerMm = 6;
  const tw = Math.round(w * pxPerMm);
  const th = Math.round(h * pxPerMm);
  const image = createLinear(tw, th);
  const tint = [rng.uniform(0.72, 0.85), rng.uniform(0.72, 0.85), rng.uniform(0.7, 0.85)];
  const pitch = rng.uniform(0.8, 1.6) * pxPerMm;
  const wave = rng.uniform(6, 20) * pxPerMm;
  const amp = rng.uniform(1, 4) * pxPerMm;
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const phase = (y + amp * Math.sin((2 * Math.PI * x) / wave)) / pitch;
      const line = Math.abs(phase - Math.round(phase)) < 0.12 ? 0.9 : 1;
      const i = y * tw + x;
      for (let c = 0; c < 3; c++) image.planes[c][i] = tint[c] * line;
    }
  }
  return { image, pxPerMm };
}

/** Linear planes and their scale: a texture on the plane with its origin at (0, 0). */
interface Texture {
  image: LinearImage;
  pxPerMm: number;
}

/**
 * The physical document in the plane: an ID-1 card with rounded corners, or an open passport
 * booklet (data page at v in [0, H], facing page above it, the cover's edge around), on a
 * table or in front of the backdrop.
 */
class DocumentSurface implements Surface {
  private readonly R: Float32Array;
  private readonly G: Float32Array;
  private readonly B: Float32Array;
  private readonly tw: number;
  private readonly th: number;
  private readonly pxPerMm: number;
  private readonly glintTint: [number, number, number];

  constructor(
    private readonly W: number,
    private readonly H: number,
    texture: Texture,
    private readonly booklet: { cover: number; page: Texture; coverColour: [number, number, number] } | null,
    private readonly light: LightField,
    private readonly glint: Highlight,
    glintTint: [number, number, number],
    private readonly table: PlaneTexture | null,
    private readonly shadow: ContactShadow,
  ) {
    [this.R, this.G, this.B] = texture.image.planes;
    this.tw = texture.image.width;
    this.th = texture.image.height;
    this.pxPerMm = texture.pxPerMm;
    this.glintTint = glintTint;
  }

  radiance(u: number, v: number, c: number): number {
    const { W, H, booklet } = this;
    if (u >= 0 && u <= W && v >= 0 && v <= H && (booklet !== null || !outsideRoundedCorner(u, v, W, H, ID1_CORNER_RADIUS))) {
      const plane = c === 0 ? this.R : c === 1 ? this.G : this.B;
      let r = bilinear(plane, this.tw, this.th, u * this.pxPerMm, v * this.pxPerMm) * this.light.at(u, v);
      // Pages curve down into the binding, which shades them over the first few millimetres.
      if (booklet !== null) r *= 1 - 0.45 * Math.exp(-v / 2.5);
      return r + this.glint.at(u, v) * this.glintTint[c];
    }
    if (booklet !== null) {
      if (u >= 0 && u <= W && v >= -H && v < 0) {
        const p = booklet.page;
        return bilinear(p.image.planes[c], p.image.width, p.image.height, u * p.pxPerMm, (v + H) * p.pxPerMm) * this.light.at(u, v) * (1 - 0.5 * Math.exp(v / 3));
      }
      if (u >= -booklet.cover && u <= W + booklet.cover && v >= -H - booklet.cover && v <= H + booklet.cover) return booklet.coverColour[c] * this.light.at(u, v);
    }
    if (this.table === null) return NaN;
    return textureAt(this.table, u, v, c) * this.light.at(u, v) * this.shadow.at(u, v);
  }
}

/**
 * A genuine capture: the physical document photographed directly. An ID-1 card with its
 * rounded corners, or an open passport booklet (data page below, facing page above, cover
 * edges around), lying on a table (with its contact shadow) or held in front of the room;
 * lit unevenly, sometimes with a glint on the laminate; photographed by a phone camera.
 * `overrides` fixes parts of the camera (tests use smaller frames).
 */
export async function captureGenuine(doc: DocumentRaster, rng: Rng, overrides?: { camera?: Partial<Camera> }): Promise<Capture> {
  const camera = cameraWith(rng.fork("camera"), overrides?.camera);
  const W = doc.widthMm;
  const H = doc.heightMm;
  const placement = placeDocument(rng.fork("pose"), camera, { u0: 0, v0: 0, w: W, h: H }, { fill: FILL, maxTilt: MAX_TILT, maxRoll: MAX_ROLL });
  const texture = await rasterTexture(doc, W, footprintMm(placement, camera));
  const surroundings = await chooseSurroundings(rng.fork("surroundings"), placement, camera, 0.6);
  const light = new LightField(rng.fork("light"), [W / 2, H / 2], W);
  const glint = new Highlight(rng.fork("glint"), W, H, 0.35);
  const glintTint: [number, number, number] = [rng.uniform(0.95, 1.05), 1, rng.uniform(0.9, 1.1)];
  const booklet =
    doc.kind === "passport"
      ? { cover: rng.uniform(1.5, 3), page: facingPage(rng.fork("page"), W, H), coverColour: [rng.uniform(0.02, 0.2), rng.uniform(0.02, 0.1), rng.uniform(0.02, 0.15)] as [number, number, number] }
      : null;
  // The contact shadow follows the card, or the whole booklet.
  const outline = booklet ? { u0: -booklet.cover, v0: -H - booklet.cover, w: W + 2 * booklet.cover, h: 2 * H + 2 * booklet.cover } : { u0: 0, v0: 0, w: W, h: H };
  const shadow = new ContactShadow(rng.fork("shadow"), outline, booklet ? 3 : 1);
  const surface = new DocumentSurface(W, H, texture, booklet, light, glint, glintTint, surroundings.table, shadow);

  const toImage = placement.planeToImage;
  const scene: Scene = {
    planeToImage: toImage,
    surface,
    backdrop: surroundings.backdrop,
    edges: booklet ? [{ u0: 0, v0: 0, w: W, h: H }, { u0: 0, v0: -H, w: W, h: H }, outline] : [{ u0: 0, v0: 0, w: W, h: H }],
    cornerRadius: booklet ? 0 : ID1_CORNER_RADIUS / mmPerPixel(toImage, quadCentre(placement.corners)),
    meter: placement.corners,
  };
  const jpeg = await photograph(rng.fork("sensor"), scene, camera);
  return { label: "genuine", image: jpeg, format: "jpeg", width: camera.width, height: camera.height, corners: placement.corners };
}

/**
 * Warps an 8-bit RGB raster by `srcToDst` onto a `width` x `height` canvas of `background`,
 * bilinear (in sRGB, as image editors do), with 2 x 2 sub-samples when it shrinks much.
 */
function warpRgb(src: { width: number; height: number; data: Buffer }, srcToDst: Mat3, width: number, height: number, background: [number, number, number]): Buffer {
  const inv = invert(srcToDst);
  const out = Buffer.alloc(width * height * 3);
  const sw = src.width;
  const sh = src.height;
  const d = src.data;
  // Sub-samples per axis: bilinear alone is what editors do when scaling down at most 1.5x.
  const scale = Math.sqrt(Math.abs(srcToDst[0] * srcToDst[4] - srcToDst[1] * srcToDst[3]));
  const n = scale > 0.67 ? 1 : 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const px = x + (sx + 0.5) / n;
          const py = y + (sy + 0.5) / n;
          const w = inv[6] * px + inv[7] * py + inv[8];
          const u = (inv[0] * px + inv[1] * py + inv[2]) / w;
          const v = (inv[3] * px + inv[4] * py + inv[5]) / w;
          if (u < 0 || v < 0 || u >= sw || v >= sh) {
            r += background[0];
            g += background[1];
            b += background[2];
            continue;
          }
          const fx = Math.min(sw - 1.001, Math.max(0, u - 0.5));
          const fy = Math.min(sh - 1.001, Math.max(0, v - 0.5));
          const ix = fx | 0;
          const iy = fy | 0;
          const tx = fx - ix;
          const ty = fy - iy;
          const p = (iy * sw + ix) * 3;
          const q = p + sw * 3;
          r += (d[p] * (1 - tx) + d[p + 3] * tx) * (1 - ty) + (d[q] * (1 - tx) + d[q + 3] * tx) * ty;
          g += (d[p + 1] * (1 - tx) + d[p + 4] * tx) * (1 - ty) + (d[q + 1] * (1 - tx) + d[q + 4] * tx) * ty;
          b += (d[p + 2] * (1 - tx) + d[p + 5] * tx) * (1 - ty) + (d[q + 2] * (1 - tx) + d[q + 5] * tx) * ty;
        }
      }
      const o = (y * width + x) * 3;
      out[o] = Math.round(r / (n * n));
      out[o + 1] = Math.round(g / (n * n));
      out[o + 2] = Math.round(b / (n * n));
    }
  }
  return out;
}

/**
 * A digital original: the document's pixels themselves, never photographed. Usually the full
 * frame at its native 600 dpi or resized (never below the 1080 px short side the vendor
 * requires), as PNG or a high-quality JPEG without metadata; sometimes pasted slightly rotated
 * onto a plain canvas, as an edited composite would be.
 */
export async function captureDigital(doc: DocumentRaster, rng: Rng): Promise<Capture> {
  const mode = rng.weighted([["native", 0.4], ["resized", 0.4], ["pasted", 0.2]] as const);
  const asPng = rng.chance(0.45);
  const encode = (pipeline: Sharp) => (asPng ? pipeline.png({ compressionLevel: 6 }) : pipeline.jpeg({ quality: rng.int(88, 100), chromaSubsampling: rng.chance(0.5) ? "4:4:4" : "4:2:0" })).toBuffer();
  const raw = { raw: { width: doc.width, height: doc.height, channels: 3 as const } };
  const format = asPng ? "png" : "jpeg";
  if (mode === "native" || mode === "resized") {
    let width = doc.width;
    let height = doc.height;
    let pipeline = sharp(doc.data, raw);
    if (mode === "resized") {
      const minScale = 1080 / Math.min(doc.width, doc.height);
      const scale = rng.uniform(Math.min(1, minScale), 1);
      width = Math.round(doc.width * scale);
      height = Math.round(doc.height * scale);
      pipeline = pipeline.resize(width, height, { fit: "fill" });
    }
    const corners: Quad = [[0, 0], [width, 0], [width, height], [0, height]];
    return { label: "digital", image: await encode(pipeline), format, width, height, corners };
  }
  const angle = rng.uniform(-4, 4) * (Math.PI / 180);
  const scale = rng.uniform(Math.min(1, 1150 / Math.min(doc.width, doc.height)), 1);
  const margin = rng.uniform(0.01, 0.08) * doc.width * scale;
  const m0 = multiply(rotation(angle), [scale, 0, 0, 0, scale, 0, 0, 0, 1]);
  const b = quadBounds(mapRect(m0, 0, 0, doc.width, doc.height));
  const m = multiply(translation(margin - b.x1, margin - b.y1), m0);
  const width = Math.ceil(b.x2 - b.x1 + 2 * margin);
  const height = Math.ceil(b.y2 - b.y1 + 2 * margin);
  const background = rng.pick<[number, number, number]>([[255, 255, 255], [245, 245, 245], [230, 232, 235], [20, 20, 22]]);
  const pixels = warpRgb(doc, m, width, height, background);
  const corners = mapRect(m, 0, 0, doc.width, doc.height);
  return { label: "digital", image: await encode(sharp(pixels, { raw: { width, height, channels: 3 } })), format, width, height, corners };
}
