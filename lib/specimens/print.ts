import sharp from "sharp";
import type { PlaneTexture } from "./backgrounds";
import { LightField, sampleTexture } from "./backgrounds";
import type { Camera, Scene, Surface } from "./camera";
import { cameraWith, photograph, placeDocument } from "./camera";
import type { Capture } from "./captures";
import { chooseSurroundings, ContactShadow, FILL, footprintMm, Highlight, MAX_ROLL, MAX_TILT } from "./captures";
import type { DocumentRaster } from "./document";
import type { LinearImage } from "./raster";
import { createLinear, samplePlane, valueNoise } from "./raster";
import type { Rng } from "./rng";

/**
 * Print attack: the document printed on paper and photographed. Printers cannot lay down
 * grey; they place dots of ink or toner. Laser printers and offset use amplitude-modulated
 * halftone screens (dots on a rotated lattice, 85-150 lines per inch, sized by tone); inkjets
 * and many copiers use error diffusion. The dots sit on a 300 or 600 dpi device grid, spread a
 * little into the paper (dot gain), and the camera then samples that lattice: its beats with
 * the sensor are the print's moire.
 */

export type PrintProcess = "laser-colour" | "inkjet-colour" | "copy-halftone" | "copy-dither";

export interface Printer {
  process: PrintProcess;
  /** Device resolution (dots per inch). */
  dpi: number;
  /** Halftone screen ruling (lines per inch): 85 newsprint, 100-133 office lasers and copiers, 150 magazines. */
  lpi: number;
  /** Screen angles of C, M, Y, K in degrees (the classic 15/75/0/45 set avoids moire between inks). */
  angles: [number, number, number, number];
  /** Printed size relative to the real document. */
  scale: number;
  /** Ink spread into the paper, Gaussian sigma in device dots. */
  dotGain: number;
  /** Paper reflectance per channel (office paper with brighteners is slightly blue). */
  paper: [number, number, number];
}

/**
 * Draws a printer: an office colour laser (AM screens at 600 dpi), an inkjet (error diffusion
 * at 300 or 600 dpi), or a copier in grey (AM at 300 or 600 dpi, or diffusion), on white
 * office paper at the document's real size or scaled.
 */
export function randomPrinter(rng: Rng): Printer {
  const kind = rng.weighted<PrintProcess>([["laser-colour", 0.35], ["inkjet-colour", 0.3], ["copy-halftone", 0.2], ["copy-dither", 0.15]]);
  const dpi = kind === "laser-colour" ? 600 : rng.pick([300, 600, 600]);
  const white = rng.uniform(0.8, 0.9);
  return {
    process: kind,
    dpi,
    // A halftone cell needs a few device dots: 300 dpi devices screen at 85-106 lpi.
    lpi: rng.pick(dpi === 600 ? [85, 100, 106, 120, 133, 150] : [85, 100, 106]),
    angles: rng.chance(0.8) ? [15, 75, 0, 45] : [105, 165, 90, 135],
    scale: rng.chance(0.7) ? 1 : rng.uniform(0.9, dpi === 600 ? 1.2 : 1.6),
    dotGain: kind === "inkjet-colour" ? rng.uniform(0.5, 0.9) : rng.uniform(0.3, 0.6),
    paper: [white * rng.uniform(0.97, 1.0), white * rng.uniform(0.98, 1.0), white * rng.uniform(1.0, 1.04)],
  };
}

/**
 * Transmittance of each ink for camera R, G, B, squared in the reflectance (light crosses the
 * ink layer twice). Process inks are far from ideal absorbers: cyan passes some red, magenta
 * a lot of blue, which is why prints shift colours.
 */
const INKS: ReadonlyArray<readonly [number, number, number]> = [
  [0.16, 0.62, 0.86], // cyan
  [0.82, 0.18, 0.5], // magenta
  [0.95, 0.88, 0.12], // yellow
  [0.1, 0.1, 0.11], // black
];

const COS_STEPS = 4096;
const COS = (() => {
  const t = new Float32Array(COS_STEPS);
  for (let i = 0; i < COS_STEPS; i++) t[i] = Math.cos((2 * Math.PI * i) / COS_STEPS);
  return t;
})();

/**
 * Threshold per coverage (0-255) for the round-dot spot function (cos 2 pi x + cos 2 pi y) / 2:
 * the quantiles of the spot function over a cell, so that a tone of coverage c inks exactly a
 * fraction c of each cell.
 */
const SPOT_THRESHOLDS = (() => {
  const n = 256;
  const values = new Float32Array(n * n);
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) values[j * n + i] = (Math.cos((2 * Math.PI * (i + 0.5)) / n) + Math.cos((2 * Math.PI * (j + 0.5)) / n)) / 2;
  values.sort();
  const t = new Float32Array(256);
  for (let c = 0; c < 256; c++) {
    const k = Math.round((1 - c / 255) * (values.length - 1));
    t[c] = c === 0 ? 2 : c === 255 ? -2 : values[k];
  }
  return t;
})();

/** Amplitude-modulated halftone of one separation (coverage bytes) at `angle` with `period` dots per cell; sets `bit` in `out` where inked. */
function halftone(coverage: Uint8Array, width: number, height: number, angleDeg: number, period: number, out: Uint8Array, bit: number): void {
  const a = (angleDeg * Math.PI) / 180;
  const ca = Math.cos(a) / period;
  const sa = Math.sin(a) / period;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const c = coverage[i];
      if (c === 0) continue;
      const px = x + 0.5;
      const py = y + 0.5;
      const u = px * ca + py * sa;
      const v = -px * sa + py * ca;
      const spot = (COS[((u * COS_STEPS) | 0) & (COS_STEPS - 1)] + COS[((v * COS_STEPS) | 0) & (COS_STEPS - 1)]) / 2;
      if (spot >= SPOT_THRESHOLDS[c]) out[i] |= bit;
    }
  }
}

/** Floyd-Steinberg error diffusion (serpentine) of one separation to dots; sets `bit` in `out` where inked. */
function errorDiffuse(coverage: Uint8Array, width: number, height: number, out: Uint8Array, bit: number): void {
  // Errors carried to this row and the next, indexed x + 1 so the borders need no tests.
  let cur = new Float32Array(width + 2);
  let next = new Float32Array(width + 2);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    if ((y & 1) === 0) {
      for (let x = 0; x < width; x++) {
        const want = coverage[row + x] * (1 / 255) + cur[x + 1];
        const err = want >= 0.5 ? want - 1 : want;
        if (want >= 0.5) out[row + x] |= bit;
        cur[x + 2] += err * 0.4375;
        next[x] += err * 0.1875;
        next[x + 1] += err * 0.3125;
        next[x + 2] += err * 0.0625;
      }
    } else {
      for (let x = width - 1; x >= 0; x--) {
        const want = coverage[row + x] * (1 / 255) + cur[x + 1];
        const err = want >= 0.5 ? want - 1 : want;
        if (want >= 0.5) out[row + x] |= bit;
        cur[x] += err * 0.4375;
        next[x + 2] += err * 0.1875;
        next[x + 1] += err * 0.3125;
        next[x] += err * 0.0625;
      }
    }
    const t = cur;
    cur = next;
    next = t;
    next.fill(0);
  }
}

/**
 * The printed sheet at device resolution: separations (CMYK with grey-component replacement,
 * or black only for a copy, after the copier's contrast boost and background suppression),
 * screened or diffused to dots, inks multiplied onto the paper. Returns linear reflectance as
 * bytes (value / 255), which sharp can then average correctly.
 */
async function printDocument(rng: Rng, doc: DocumentRaster, printer: Printer): Promise<{ width: number; height: number; data: Buffer }> {
  const width = Math.round(((doc.widthMm * printer.scale) / 25.4) * printer.dpi);
  const height = Math.round(((doc.heightMm * printer.scale) / 25.4) * printer.dpi);
  const rgb = width === doc.width && height === doc.height ? doc.data : await sharp(doc.data, { raw: { width: doc.width, height: doc.height, channels: 3 } }).resize(width, height, { fit: "fill" }).raw().toBuffer();
  const n = width * height;
  const grey = printer.process === "copy-halftone" || printer.process === "copy-dither";
  const inks = grey ? [3] : [0, 1, 2, 3];
  const separations = inks.map(() => new Uint8Array(n));
  if (grey) {
    // Copier tone curve on darkness: paper-white backgrounds dropped, contrast raised.
    const floor = rng.uniform(0.12, 0.25);
    const gamma = rng.uniform(1.2, 1.8);
    const curve = new Uint8Array(256);
    for (let d = 0; d < 256; d++) curve[d] = Math.round(255 * Math.min(1, Math.max(0, (d / 255 - floor) / (1 - floor)) ** (1 / gamma) * 1.05));
    const k = separations[0];
    for (let i = 0, j = 0; i < n; i++, j += 3) k[i] = curve[255 - ((77 * rgb[j] + 150 * rgb[j + 1] + 29 * rgb[j + 2]) >> 8)];
  } else {
    // Naive separation with grey-component replacement: K takes `gcr` of the common darkness.
    const gcr = Math.round(rng.uniform(0.5, 0.9) * 256);
    const [C, M, Y, K] = separations;
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      const c = 255 - rgb[j];
      const m = 255 - rgb[j + 1];
      const y = 255 - rgb[j + 2];
      const k = ((c < m ? (c < y ? c : y) : m < y ? m : y) * gcr) >> 8;
      C[i] = c - k;
      M[i] = m - k;
      Y[i] = y - k;
      K[i] = k;
    }
  }
  // One byte per dot position, bit s set where separation s is inked.
  const dots = new Uint8Array(n);
  const period = printer.dpi / printer.lpi;
  const diffuse = printer.process === "inkjet-colour" || printer.process === "copy-dither";
  inks.forEach((ink, s) => (diffuse ? errorDiffuse(separations[s], width, height, dots, 1 << s) : halftone(separations[s], width, height, printer.angles[ink], period, dots, 1 << s)));

  // Reflectance of every combination of inks on this paper, as bytes of linear light.
  const toner = rng.uniform(0.06, 0.14);
  const combos = new Uint8Array((1 << inks.length) * 3);
  for (let m = 0; m < 1 << inks.length; m++) {
    for (let ch = 0; ch < 3; ch++) {
      let r = printer.paper[ch];
      for (let s = 0; s < inks.length; s++) {
        if ((m & (1 << s)) === 0) continue;
        const t = grey ? toner : INKS[inks[s]][ch];
        r *= t * t;
      }
      combos[m * 3 + ch] = Math.round(r * 255);
    }
  }
  const data = Buffer.alloc(n * 3);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    const m = dots[i] * 3;
    data[j] = combos[m];
    data[j + 1] = combos[m + 1];
    data[j + 2] = combos[m + 2];
  }
  return { width, height, data };
}

/**
 * The printed sheet as a plane texture of float planes: the ink spreads (dot gain, a blur of
 * `dotGain` device dots) and the raster is reduced to about `texelMm` per texel (half a
 * photosite's footprint, see rasterTexture). Where the reduction averages several dots the
 * spread no longer shows, and only one of the two is done.
 */
async function reflectanceTexture(raster: { width: number; height: number; data: Buffer }, widthMm: number, texelMm: number, dotGain: number): Promise<{ image: LinearImage; pxPerMm: number }> {
  let { width, height, data } = raster;
  const dotsPerTexel = (texelMm * width) / widthMm;
  if (dotsPerTexel >= 1.5) {
    const w = Math.max(16, Math.round(widthMm / texelMm));
    const h = Math.max(16, Math.round((height * w) / width));
    data = await sharp(data, { raw: { width, height, channels: 3 } }).resize(w, h, { fit: "fill", kernel: "cubic" }).raw().toBuffer();
    width = w;
    height = h;
  } else {
    data = await sharp(data, { raw: { width, height, channels: 3 } }).blur(Math.max(0.3, dotGain)).raw().toBuffer();
  }
  const image = createLinear(width, height);
  const [R, G, B] = image.planes;
  for (let i = 0, j = 0; i < width * height; i++, j += 3) {
    R[i] = data[j] / 255;
    G[i] = data[j + 1] / 255;
    B[i] = data[j + 2] / 255;
  }
  return { image, pxPerMm: width / widthMm };
}

/** Local aliases: transpiled to CommonJS (tsx, vitest), every call through an import is a getter call. */
const bilinear = samplePlane;
const textureAt = sampleTexture;

interface PaperParams {
  /** Printed document size, mm. */
  W: number;
  H: number;
  texture: { image: LinearImage; pxPerMm: number };
  paper: [number, number, number];
  sheet: { u0: number; v0: number; w: number; h: number };
  fibres: { image: Float32Array; width: number; height: number; pxPerMm: number; depth: number };
  light: LightField;
  sheen: Highlight;
  table: PlaneTexture | null;
  shadow: ContactShadow;
}

/** The printed sheet in the plane (the printed document at [0, W] x [0, H]), on a table or before the backdrop. */
class PaperSurface implements Surface {
  private readonly R: Float32Array;
  private readonly G: Float32Array;
  private readonly B: Float32Array;
  private readonly tw: number;
  private readonly th: number;
  private readonly pxPerMm: number;
  private readonly W: number;
  private readonly H: number;
  private readonly paper: [number, number, number];
  private readonly su0: number;
  private readonly sv0: number;
  private readonly su1: number;
  private readonly sv1: number;
  private readonly fibres: Float32Array;
  private readonly fw: number;
  private readonly fh: number;
  private readonly fibrePx: number;
  private readonly fibreDepth: number;
  private readonly light: LightField;
  private readonly sheen: Highlight;
  private readonly table: PlaneTexture | null;
  private readonly shadow: ContactShadow;

  constructor(p: PaperParams) {
    [this.R, this.G, this.B] = p.texture.image.planes;
    this.tw = p.texture.image.width;
    this.th = p.texture.image.height;
    this.pxPerMm = p.texture.pxPerMm;
    this.W = p.W;
    this.H = p.H;
    this.paper = p.paper;
    this.su0 = p.sheet.u0;
    this.sv0 = p.sheet.v0;
    this.su1 = p.sheet.u0 + p.sheet.w;
    this.sv1 = p.sheet.v0 + p.sheet.h;
    this.fibres = p.fibres.image;
    this.fw = p.fibres.width;
    this.fh = p.fibres.height;
    this.fibrePx = p.fibres.pxPerMm;
    this.fibreDepth = p.fibres.depth;
    this.light = p.light;
    this.sheen = p.sheen;
    this.table = p.table;
    this.shadow = p.shadow;
  }

  radiance(u: number, v: number, c: number): number {
    if (u >= this.su0 && u <= this.su1 && v >= this.sv0 && v <= this.sv1) {
      const fibre = 1 + this.fibreDepth * bilinear(this.fibres, this.fw, this.fh, (u - this.su0) * this.fibrePx, (v - this.sv0) * this.fibrePx);
      const r =
        u >= 0 && u <= this.W && v >= 0 && v <= this.H
          ? bilinear(c === 0 ? this.R : c === 1 ? this.G : this.B, this.tw, this.th, u * this.pxPerMm, v * this.pxPerMm)
          : this.paper[c];
      return r * fibre * this.light.at(u, v) + this.sheen.at(u, v);
    }
    if (this.table === null) return NaN;
    return textureAt(this.table, u, v, c) * this.light.at(u, v) * this.shadow.at(u, v);
  }
}

const PAPER_SIZES: ReadonlyArray<readonly [number, number]> = [
  [210, 297], // A4
  [215.9, 279.4], // US Letter
];

/**
 * A print capture: the document printed at (about) its real size on office paper, either
 * still on the sheet or cut out along its edges, lying on a table or held up, photographed
 * with the phone camera. `overrides` fixes parts of the camera or the printer.
 */
export async function capturePrint(doc: DocumentRaster, rng: Rng, overrides?: { camera?: Partial<Camera>; printer?: Partial<Printer> }): Promise<Capture> {
  const camera = cameraWith(rng.fork("camera"), overrides?.camera);
  const printer = { ...randomPrinter(rng.fork("printer")), ...overrides?.printer };
  const W = doc.widthMm * printer.scale;
  const H = doc.heightMm * printer.scale;
  // The sheet around the printed document, plane mm with the document's top-left at the origin.
  let sheet: { u0: number; v0: number; w: number; h: number };
  if (rng.chance(0.35)) {
    const m = () => rng.uniform(0, 1.5);
    const left = m();
    const top = m();
    sheet = { u0: -left, v0: -top, w: W + left + m(), h: H + top + m() };
  } else {
    let [sw, sh] = rng.pick(PAPER_SIZES);
    if (rng.chance(0.3)) [sw, sh] = [sh, sw];
    const left = rng.uniform(10, Math.max(10, sw - W - 10));
    const top = rng.uniform(10, Math.max(10, Math.min(sh - H - 10, 80)));
    sheet = { u0: -left, v0: -top, w: sw, h: sh };
  }
  const placement = placeDocument(rng.fork("pose"), camera, { u0: 0, v0: 0, w: W, h: H }, { fill: FILL, maxTilt: MAX_TILT, maxRoll: MAX_ROLL });
  const printed = await printDocument(rng.fork("print"), doc, printer);
  const tex = await reflectanceTexture(printed, W, footprintMm(placement, camera) / 2, printer.dotGain);

  // Paper fibres: +-2% reflectance at 0.5-1.5 mm, on a 3 px/mm texture over the sheet.
  const fibrePx = 3;
  const fw = Math.max(8, Math.ceil(sheet.w * fibrePx));
  const fh = Math.max(8, Math.ceil(sheet.h * fibrePx));
  const fibres = valueNoise(rng.fork("fibres"), fw, fh, rng.uniform(1.5, 4.5), 2);
  const fibreDepth = rng.uniform(0.01, 0.03);

  const surroundings = await chooseSurroundings(rng.fork("surroundings"), placement, camera, 0.7);
  const surface = new PaperSurface({
    W,
    H,
    texture: tex,
    paper: printer.paper,
    sheet,
    fibres: { image: fibres, width: fw, height: fh, pxPerMm: fibrePx, depth: fibreDepth },
    light: new LightField(rng.fork("light"), [W / 2, H / 2], W),
    sheen: new Highlight(rng.fork("sheen"), W, H, 0.1, 0.15),
    table: surroundings.table,
    shadow: new ContactShadow(rng.fork("shadow"), sheet, 1),
  });
  const scene: Scene = {
    planeToImage: placement.planeToImage,
    surface,
    backdrop: surroundings.backdrop,
    edges: [sheet],
    cornerRadius: 0,
    meter: placement.corners,
  };
  const jpeg = await photograph(rng.fork("sensor"), scene, camera);
  return { label: "print", image: jpeg, format: "jpeg", width: camera.width, height: camera.height, corners: placement.corners };
}
