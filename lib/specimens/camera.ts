import sharp from "sharp";
import type { Mat3, Point, Quad } from "./geometry";
import { invert, mapRect, planeHomography, quadArea, quadBounds } from "./geometry";
import type { LinearImage } from "./raster";
import { encodeSrgb } from "./raster";
import type { Rng } from "./rng";
import { NORMAL_QUANTILES } from "./rng";

/**
 * A phone camera photographing a flat scene: pinhole projection, a Bayer colour filter array
 * sampled with a small box aperture and no optical low-pass filter (phones have none, which
 * is why they show moire on screens and halftones), shot and read noise, bilinear
 * demosaicing, white balance, tone curve, sharpening and JPEG. The same camera photographs
 * the genuine card, the screen and the print; only the scene differs, so any moire in a
 * specimen is the camera's own aliasing of what is in front of it.
 */

/** Output sizes: the vendor's 1080p minimum in both orientations, and larger phone photos. */
export const FRAME_SIZES: ReadonlyArray<readonly [[number, number], number]> = [
  [[1920, 1080], 0.47],
  [[1080, 1920], 0.41],
  [[3000, 2000], 0.06],
  [[2000, 3000], 0.06],
];

export interface Camera {
  width: number;
  height: number;
  /** Focal length in pixels of the output frame. */
  focalPx: number;
  /**
   * Side of the square each photosite integrates over, in pixels: 1 is a 100% fill-factor
   * pixel behind a perfect lens; more stands for the lens's blur and defocus before sampling.
   * Scenes integrate their radiance over this footprint (textures reduced to half of it and
   * interpolated, the screen's sub-pixel grid integrated exactly), so one ray per photosite
   * gives the box-filtered value; near hard edges between surfaces 3 x 3 rays do.
   */
  aperture: number;
  /** Gaussian blur after demosaicing (residual defocus, the ISP's noise reduction), px. */
  postBlur: number;
  /** Linear motion blur from hand shake: length (px) and direction; length 0 for none. */
  motion: { length: number; angle: number };
  /** Corner fall-off of lens shading left after the ISP's correction (0.05-0.25). */
  vignetting: number;
  /** Electrons at saturation after analogue gain: 6000 e- at ISO 100 for a 1.4 um pixel (IMX363 class), divided by ISO/100. */
  fullWell: number;
  /** Read noise in electrons (2-3 e- for current phone sensors). */
  readNoise: number;
  /** Where the exposure puts the 97th percentile of the document region (linear). */
  exposureTarget: number;
  /** White balance error, per channel. */
  whiteBalance: [number, number, number];
  /** Colour matrix saturation boost of phone ISPs (1.0-1.3). */
  saturation: number;
  /** S-curve strength applied after sRGB encoding (0-0.3). */
  contrast: number;
  /** Strength of the ISP's 3 x 3 sharpening (a Laplacian unsharp mask), 0 for none. */
  sharpen: number;
  jpegQuality: number;
  chroma: "4:2:0" | "4:4:4";
}

/**
 * Draws a phone camera. Focal lengths: main cameras are 23-28 mm (35 mm equivalent), the
 * 2-3x telephoto 48-77 mm, where a 36 mm-wide frame maps to the long side of the image.
 */
export function randomCamera(rng: Rng, size?: [number, number]): Camera {
  const [width, height] = size ?? rng.weighted(FRAME_SIZES);
  const equivalent = rng.chance(0.8) ? rng.uniform(23, 28) : rng.uniform(48, 77);
  const iso = Math.round(50 * 2 ** rng.uniform(0, 4)); // ISO 50-800, indoor daylight to dim room
  return {
    width,
    height,
    focalPx: (equivalent / 36) * Math.max(width, height),
    aperture: rng.uniform(1, 1.6),
    postBlur: rng.uniform(0.3, 1.0),
    motion: rng.chance(0.2) ? { length: rng.uniform(1, 4), angle: rng.uniform(0, Math.PI) } : { length: 0, angle: 0 },
    vignetting: rng.uniform(0.05, 0.25),
    fullWell: 6000 / (iso / 100),
    readNoise: rng.uniform(1.8, 3.5),
    exposureTarget: rng.uniform(0.6, 0.92),
    whiteBalance: [rng.uniform(0.94, 1.06), 1, rng.uniform(0.93, 1.07)],
    saturation: rng.uniform(1.0, 1.3),
    contrast: rng.uniform(0, 0.3),
    sharpen: rng.chance(0.7) ? rng.uniform(0.1, 0.35) : 0,
    jpegQuality: rng.int(70, 95),
    chroma: rng.chance(0.8) ? "4:2:0" : "4:4:4",
  };
}

/** A camera drawn from `rng`, with `override` applied (its frame size before the focal length is derived). */
export function cameraWith(rng: Rng, override?: Partial<Camera>): Camera {
  const size: [number, number] | undefined = override?.width && override?.height ? [override.width, override.height] : undefined;
  return { ...randomCamera(rng, size), ...override };
}

/**
 * What the camera looks at, in the plane. Implemented by classes (a card, a screen, a printed
 * sheet) rather than closures: the method runs once per photosite, and V8 inlines a method of
 * a stable class into the render loop, while a closure re-created per image loses its
 * optimisations (about 5x slower here).
 */
export interface Surface {
  /** Radiance at plane point (u, v) mm for camera channel c, over one photosite's footprint; NaN where the backdrop shows. */
  radiance(u: number, v: number, c: number): number;
}

export interface PlaneRect {
  u0: number;
  v0: number;
  w: number;
  h: number;
}

export interface Scene {
  /** Plane (mm) to image (px). */
  planeToImage: Mat3;
  surface: Surface;
  /** Image-space backdrop (linear) wherever `radiance` answers NaN. */
  backdrop: LinearImage | null;
  /** Rectangles (plane mm) whose sides are hard edges between surfaces: photosites near them get 3 x 3 rays. */
  edges: PlaneRect[];
  /** Radius (px) around each outline corner also given 3 x 3 rays (rounded card corners). */
  cornerRadius: number;
  /** Image region whose brightness the exposure meters (the document). */
  meter: Quad;
}

export interface Placement {
  planeToImage: Mat3;
  /** The document rectangle's corners in the image. */
  corners: Quad;
}

/**
 * Places the plane rectangle [u0, u0 + w] x [v0, v0 + h] (the document) in the frame: tilted
 * up to `maxTilt` about a random in-plane axis, rolled, its bounding box `fill` of the frame
 * width, inside the frame with a margin. Perspective comes from the camera's real focal
 * length and distance, so a tilted document shows the keystone a phone would.
 */
export function placeDocument(
  rng: Rng,
  camera: Camera,
  rect: { u0: number; v0: number; w: number; h: number },
  opts: { fill: [number, number]; maxTilt: number; maxRoll: number },
): Placement {
  const { width: W, height: H, focalPx: f } = camera;
  const cx = W / 2;
  const cy = H / 2;
  const anchor: Point = [rect.u0 + rect.w / 2, rect.v0 + rect.h / 2];
  const margin = 0.02 * Math.min(W, H);
  for (let attempt = 0; attempt < 60; attempt++) {
    const relax = attempt < 40 ? 1 : 0.5;
    const tilt = opts.maxTilt * relax * rng.next() ** 0.8;
    const tiltAxis = rng.uniform(0, 2 * Math.PI);
    const roll = Math.max(-opts.maxRoll, Math.min(opts.maxRoll, rng.normal() * opts.maxRoll * 0.45)) * relax;
    const fill = rng.uniform(opts.fill[0], opts.fill[1]);
    const spreadX = Math.max(0, (1 - fill) / 2) * W * 0.9;
    const spreadY = Math.max(0, H / 2 - (fill * W * rect.h) / rect.w / 2) * 0.9;
    // People centre the document, roughly: offsets are normal, clipped to the room left in the frame.
    const offset = () => Math.max(-1, Math.min(1, rng.normal() * 0.45));
    const px = cx + offset() * spreadX * relax;
    const py = cy + offset() * spreadY * relax;
    let z = (f * rect.w) / (fill * W);
    let m: Mat3 | null = null;
    for (let i = 0; i < 5; i++) {
      m = planeHomography({ focalPx: f, cx, cy, roll, tilt, tiltAxis, centre: [(z * (px - cx)) / f, (z * (py - cy)) / f, z], anchor });
      const b = quadBounds(mapRect(m, rect.u0, rect.v0, rect.w, rect.h));
      z *= (b.x2 - b.x1) / (fill * W);
    }
    m = planeHomography({ focalPx: f, cx, cy, roll, tilt, tiltAxis, centre: [(z * (px - cx)) / f, (z * (py - cy)) / f, z], anchor });
    const corners = mapRect(m, rect.u0, rect.v0, rect.w, rect.h);
    const b = quadBounds(corners);
    if (b.x1 >= margin && b.y1 >= margin && b.x2 <= W - margin && b.y2 <= H - margin && quadArea(corners) > 0) return { planeToImage: m, corners };
  }
  throw new Error("no placement of the document fits the frame");
}

let scratch = new Float32Array(0);

/**
 * The mosaic's memory, reused from one photo to the next: 8-24 MB arrays allocated per image
 * keep the garbage collector busy. Safe because a mosaic is consumed synchronously (rendered,
 * exposed, demosaiced) before anything else can render.
 */
function mosaicBuffer(n: number): Float32Array {
  if (scratch.length < n) scratch = new Float32Array(n);
  return scratch.subarray(0, n);
}

/** Rays per axis in a supersampled photosite. */
const EDGE_SAMPLES = 3;
/** Half-width (px) of the band along edges that is supersampled. */
const EDGE_BAND = 2;

/**
 * Marks the photosites within EDGE_BAND of the rectangles' sides and `cornerRadius` of their
 * corners. Sides are walked in short plane pieces, each projected on its own, so that parts
 * of a large object behind the camera (a monitor filling the view) never project into the frame.
 */
function edgeMask(W: number, H: number, planeToImage: Mat3, edges: PlaneRect[], cornerRadius: number): Uint8Array {
  const mask = new Uint8Array(W * H);
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = planeToImage;
  const mark = (cx: number, cy: number, r: number) => {
    const x1 = Math.max(0, Math.floor(cx - r));
    const x2 = Math.min(W - 1, Math.ceil(cx + r));
    const y1 = Math.max(0, Math.floor(cy - r));
    const y2 = Math.min(H - 1, Math.ceil(cy + r));
    for (let y = y1; y <= y2; y++) if (x2 >= x1) mask.fill(1, y * W + x1, y * W + x2 + 1);
  };
  const inFrame = (x: number, y: number) => x > -W && x < 2 * W && y > -H && y < 2 * H;
  const pieces = 256;
  for (const e of edges) {
    const corners: Array<[number, number]> = [[e.u0, e.v0], [e.u0 + e.w, e.v0], [e.u0 + e.w, e.v0 + e.h], [e.u0, e.v0 + e.h]];
    for (let k = 0; k < 4; k++) {
      const [au, av] = corners[k];
      const [bu, bv] = corners[(k + 1) % 4];
      for (let p = 0; p < pieces; p++) {
        const u1 = au + ((bu - au) * p) / pieces;
        const v1 = av + ((bv - av) * p) / pieces;
        const u2 = au + ((bu - au) * (p + 1)) / pieces;
        const v2 = av + ((bv - av) * (p + 1)) / pieces;
        const w1 = m6 * u1 + m7 * v1 + m8;
        const w2 = m6 * u2 + m7 * v2 + m8;
        if (w1 <= 0 || w2 <= 0) continue;
        const ax = (m0 * u1 + m1 * v1 + m2) / w1;
        const ay = (m3 * u1 + m4 * v1 + m5) / w1;
        const bx = (m0 * u2 + m1 * v2 + m2) / w2;
        const by = (m3 * u2 + m4 * v2 + m5) / w2;
        if (!inFrame(ax, ay) && !inFrame(bx, by)) continue;
        const steps = Math.min(4 * (W + H), Math.ceil(Math.hypot(bx - ax, by - ay)) + 1);
        for (let t = 0; t <= steps; t++) mark(ax + ((bx - ax) * t) / steps, ay + ((by - ay) * t) / steps, EDGE_BAND);
        if (p === 0 && cornerRadius > 0) mark(ax, ay, cornerRadius + EDGE_BAND);
      }
    }
  }
  return mask;
}

/**
 * Renders the scene onto the Bayer mosaic: each photosite takes its own colour from the
 * scene, one ray through its centre (the scene integrates over the footprint) or 3 x 3 rays
 * spread over the aperture where a hard edge crosses it. Nothing low-pass filters the scene
 * beyond the photosite's own footprint, so detail above the sensor's Nyquist frequency folds
 * into visible beats, as in a real phone photo (phones have no optical low-pass filter).
 * The returned mosaic is valid until the next call.
 */
export function renderMosaic(scene: Scene, camera: Camera): Float32Array {
  const { width: W, height: H } = camera;
  const [h0, h1, h2, h3, h4, h5, h6, h7, h8] = invert(scene.planeToImage);
  const out = mosaicBuffer(W * H);
  const n = EDGE_SAMPLES;
  const offsets = new Float64Array(n);
  for (let i = 0; i < n; i++) offsets[i] = 0.5 + ((i + 0.5) / n - 0.5) * camera.aperture;
  const mask = edgeMask(W, H, scene.planeToImage, scene.edges, scene.cornerRadius);
  const surface = scene.surface;
  const backdrop = scene.backdrop ? scene.backdrop.planes : null;
  for (let y = 0; y < H; y++) {
    const py = y + 0.5;
    // The homography's terms that depend on the row only.
    const ru = h1 * py + h2;
    const rv = h4 * py + h5;
    const rw = h7 * py + h8;
    const evenRow = (y & 1) === 0;
    for (let x = 0; x < W; x++) {
      // RGGB: red on even rows and columns, blue on odd rows and columns.
      const c = evenRow ? ((x & 1) === 0 ? 0 : 1) : (x & 1) === 0 ? 1 : 2;
      const i = y * W + x;
      if (mask[i] === 0) {
        const px = x + 0.5;
        const w = h6 * px + rw;
        const r = w > 0 ? surface.radiance((h0 * px + ru) / w, (h3 * px + rv) / w, c) : NaN;
        out[i] = r === r ? r : backdrop ? backdrop[c][i] : 0;
        continue;
      }
      let sum = 0;
      for (let sy = 0; sy < n; sy++) {
        const qy = y + offsets[sy];
        for (let sx = 0; sx < n; sx++) {
          const qx = x + offsets[sx];
          const w = h6 * qx + h7 * qy + h8;
          const r = w > 0 ? surface.radiance((h0 * qx + h1 * qy + h2) / w, (h3 * qx + h4 * qy + h5) / w, c) : NaN;
          sum += r === r ? r : backdrop ? backdrop[c][i] : 0;
        }
      }
      out[i] = sum / (n * n);
    }
  }
  return out;
}

/** Mirror index that stays on the same colour of the CFA (steps of 2 at the border). */
const mirror = (i: number, n: number) => (i < 0 ? i + 2 : i >= n ? i - 2 : i);

/** The ISP's colour processing after demosaicing: white balance, saturation, sRGB and tone curve. */
interface ColourStage {
  wb: [number, number, number];
  saturation: number;
  /** Linear [0, 1] in 4096 steps to the final byte. */
  tone: Uint8Array;
}

/** White balance, saturation and tone of one demosaiced pixel, written as 3 bytes at out[j]. */
function developPixel(out: Buffer, j: number, r: number, g: number, b: number, c: ColourStage): void {
  r *= c.wb[0];
  g *= c.wb[1];
  b *= c.wb[2];
  const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const s = c.saturation;
  const rr = l + (r - l) * s;
  const gg = l + (g - l) * s;
  const bb = l + (b - l) * s;
  const tone = c.tone;
  out[j] = tone[rr <= 0 ? 0 : rr >= 1 ? 4095 : (rr * 4095 + 0.5) | 0];
  out[j + 1] = tone[gg <= 0 ? 0 : gg >= 1 ? 4095 : (gg * 4095 + 0.5) | 0];
  out[j + 2] = tone[bb <= 0 ? 0 : bb >= 1 ? 4095 : (bb * 4095 + 0.5) | 0];
}

/** Bilinear demosaicing of the one pixel (x, y), borders mirrored. */
function demosaicPixel(mosaic: Float32Array, W: number, H: number, x: number, y: number, out: Buffer, colour: ColourStage): void {
  const at = (px: number, py: number) => mosaic[mirror(py, H) * W + mirror(px, W)];
  const v = mosaic[y * W + x];
  const horiz = (at(x - 1, y) + at(x + 1, y)) / 2;
  const vert = (at(x, y - 1) + at(x, y + 1)) / 2;
  const diag = (at(x - 1, y - 1) + at(x + 1, y - 1) + at(x - 1, y + 1) + at(x + 1, y + 1)) / 4;
  const j = (y * W + x) * 3;
  const evenRow = (y & 1) === 0;
  const evenCol = (x & 1) === 0;
  if (evenRow && evenCol) developPixel(out, j, v, (horiz + vert) / 2, diag, colour);
  else if (evenRow) developPixel(out, j, horiz, v, vert, colour);
  else if (evenCol) developPixel(out, j, vert, v, horiz, colour);
  else developPixel(out, j, diag, (horiz + vert) / 2, v, colour);
}

/**
 * Bilinear demosaicing of an RGGB mosaic (the baseline every ISP improves on), fused with
 * the colour stage so the full-resolution RGB never exists in floating point. Border pixels
 * mirror their neighbours; the interior runs over pixel pairs without per-pixel branches.
 */
function demosaicToBytes(mosaic: Float32Array, W: number, H: number, colour: ColourStage): Buffer {
  const out = Buffer.alloc(W * H * 3);
  for (let x = 0; x < W; x++) {
    demosaicPixel(mosaic, W, H, x, 0, out, colour);
    demosaicPixel(mosaic, W, H, x, H - 1, out, colour);
  }
  for (let y = 1; y < H - 1; y++) {
    demosaicPixel(mosaic, W, H, 0, y, out, colour);
    demosaicPixel(mosaic, W, H, W - 1, y, out, colour);
    const even = (y & 1) === 0;
    // Interior pairs (x, x + 1) with x odd: on even rows G then R, on odd rows B then G.
    for (let x = 1; x + 1 < W - 1; x += 2) {
      const i = y * W + x;
      const up = i - W;
      const down = i + W;
      const v1 = mosaic[i];
      const h1 = (mosaic[i - 1] + mosaic[i + 1]) / 2;
      const u1 = (mosaic[up] + mosaic[down]) / 2;
      const v2 = mosaic[i + 1];
      const h2 = (mosaic[i] + mosaic[i + 2]) / 2;
      const u2 = (mosaic[up + 1] + mosaic[down + 1]) / 2;
      if (even) {
        // Green with red left and right, blue above and below; then red.
        developPixel(out, i * 3, h1, v1, u1, colour);
        developPixel(out, i * 3 + 3, v2, (h2 + u2) / 2, (mosaic[up] + mosaic[up + 2] + mosaic[down] + mosaic[down + 2]) / 4, colour);
      } else {
        // Blue; then green with blue left and right, red above and below.
        developPixel(out, i * 3, (mosaic[up - 1] + mosaic[up + 1] + mosaic[down - 1] + mosaic[down + 1]) / 4, (h1 + u1) / 2, v1, colour);
        developPixel(out, i * 3 + 3, u2, v2, h2, colour);
      }
    }
    // A column left over before the right border when the width is odd.
    if ((W - 2) % 2 === 1) demosaicPixel(mosaic, W, H, W - 2, y, out, colour);
  }
  return out;
}

/** A normalised kernel for linear motion blur of `length` px along `angle` (antialiased line). */
function motionKernel(length: number, angle: number): { width: number; height: number; kernel: number[] } {
  const size = 2 * Math.ceil(length / 2 + 1) + 1;
  const half = (size - 1) / 2;
  const kernel = new Array<number>(size * size).fill(0);
  const steps = 64;
  for (let t = 0; t <= steps; t++) {
    const s = (t / steps - 0.5) * length;
    const x = half + s * Math.cos(angle);
    const y = half + s * Math.sin(angle);
    const ix = Math.floor(x);
    const iy = Math.floor(y);
    const fx = x - ix;
    const fy = y - iy;
    kernel[iy * size + ix] += (1 - fx) * (1 - fy);
    kernel[iy * size + ix + 1] += fx * (1 - fy);
    kernel[(iy + 1) * size + ix] += (1 - fx) * fy;
    kernel[(iy + 1) * size + ix + 1] += fx * fy;
  }
  const sum = kernel.reduce((a, v) => a + v, 0);
  return { width: size, height: size, kernel: kernel.map((v) => v / sum) };
}

/** The 97th percentile of the mosaic over the metered quad's bounding box (a strided sample). */
function meterHighlights(mosaic: Float32Array, W: number, H: number, quad: Quad): number {
  const b = quadBounds(quad);
  const values: number[] = [];
  const x1 = Math.max(0, Math.floor(b.x1));
  const x2 = Math.min(W - 1, Math.ceil(b.x2));
  const y1 = Math.max(0, Math.floor(b.y1));
  const y2 = Math.min(H - 1, Math.ceil(b.y2));
  for (let y = y1; y <= y2; y += 5) for (let x = x1; x <= x2; x += 5) values.push(mosaic[y * W + x]);
  values.sort((a, b2) => a - b2);
  return values[Math.floor(values.length * 0.97)] || 1;
}

/**
 * Everything between the photons and the file: exposure, vignetting, shot and read noise,
 * clipping, demosaicing, blur, white balance, saturation, sRGB and tone curve, sharpening,
 * JPEG. Returns the JPEG bytes.
 */
export async function developPhoto(rng: Rng, mosaic: Float32Array, camera: Camera, meter: Quad): Promise<Buffer> {
  const { width: W, height: H } = camera;
  const gain = camera.exposureTarget / meterHighlights(mosaic, W, H, meter);
  const cx = W / 2;
  const cy = H / 2;
  const r2max = cx * cx + cy * cy;
  const q = camera.fullWell;
  const read2 = camera.readNoise * camera.readNoise;
  const normal = NORMAL_QUANTILES;
  const vignetting = camera.vignetting / r2max;
  let bits = 0;
  for (let y = 0; y < H; y++) {
    const dy = y + 0.5 - cy;
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const dx = x + 0.5 - cx;
      const v = mosaic[i] * gain * (1 - vignetting * (dx * dx + dy * dy));
      // Photon shot noise (Poisson, variance = electrons) plus read noise, then full-well
      // clipping. Two standard normal deviates per 32 random bits (rng.ts).
      const electrons = (v < 0 ? 0 : v > 1.2 ? 1.2 : v) * q;
      let n: number;
      if ((i & 1) === 0) {
        bits = rng.nextUint32();
        n = normal[bits >>> 16];
      } else n = normal[bits & 0xffff];
      const noisy = (electrons + Math.sqrt(electrons + read2) * n) / q;
      mosaic[i] = noisy < 0 ? 0 : noisy > 1 ? 1 : noisy;
    }
  }
  const k = camera.contrast / (2 * Math.PI);
  const tone = new Uint8Array(4096);
  for (let i = 0; i < 4096; i++) {
    const yv = encodeSrgb(i / 4095) / 255;
    tone[i] = Math.max(0, Math.min(255, Math.round((yv - k * Math.sin(2 * Math.PI * yv)) * 255)));
  }
  const out = demosaicToBytes(mosaic, W, H, { wb: camera.whiteBalance, saturation: camera.saturation, tone });
  // Hand shake and residual blur in sharp on the 8-bit image: several times faster than on the
  // float planes, and at a pixel or two the difference from blurring in linear light is invisible.
  // (In one sharp pipeline blur runs before convolve, the order wanted here.)
  let pixels: Buffer = out;
  if (camera.motion.length > 0) pixels = await sharp(pixels, { raw: { width: W, height: H, channels: 3 } }).convolve(motionKernel(camera.motion.length, camera.motion.angle)).raw().toBuffer();
  let pipeline = sharp(pixels, { raw: { width: W, height: H, channels: 3 } });
  if (camera.postBlur >= 0.3) pipeline = pipeline.blur(camera.postBlur);
  // Sharpening as a 3 x 3 convolution: sharp's own sharpen() works in LAB and costs ten times more.
  if (camera.sharpen > 0) {
    const a = camera.sharpen;
    pipeline = pipeline.convolve({ width: 3, height: 3, kernel: [0, -a, 0, -a, 1 + 4 * a, -a, 0, -a, 0] });
  }
  return pipeline.jpeg({ quality: camera.jpegQuality, chromaSubsampling: camera.chroma }).toBuffer();
}

/** Renders and develops: the whole camera. */
export async function photograph(rng: Rng, scene: Scene, camera: Camera): Promise<Buffer> {
  const mosaic = renderMosaic(scene, camera);
  return developPhoto(rng, mosaic, camera, scene.meter);
}
