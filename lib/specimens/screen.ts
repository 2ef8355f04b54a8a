import sharp from "sharp";
import type { Camera, Scene, Surface } from "./camera";
import { cameraWith, photograph, placeDocument } from "./camera";
import type { Capture } from "./captures";
import { chooseSurroundings, ContactShadow, FILL, footprintMm, Highlight, MAX_ROLL, MAX_TILT } from "./captures";
import type { PlaneTexture } from "./backgrounds";
import { LightField, sampleTexture } from "./backgrounds";
import type { DocumentRaster } from "./document";
import type { LinearImage } from "./raster";
import { createLinear } from "./raster";
import type { Rng } from "./rng";

/**
 * Screen recapture: the document shown on a phone, tablet, laptop or monitor and photographed
 * with the phone camera. The screen is modelled as what it physically is, a grid of pixels
 * each made of three vertical R, G, B stripes separated by a black matrix, and the camera
 * integrates that grid over each photosite. Where the grid's pitch comes near the camera's
 * sampling pitch the two beat: moire appears because it is there, never painted on.
 */

type DisplayClass = "phone" | "tablet" | "laptop" | "monitor";

export interface Display {
  kind: DisplayClass;
  /** Pixels per inch (100-460: 24-27" monitors ~100-110, laptops 130-230, tablets 220-265, phones 300-460). */
  ppi: number;
  /** Active area, mm. */
  widthMm: number;
  heightMm: number;
  /** Bezel around the active area, mm. */
  bezelMm: number;
  /** Share of a sub-pixel stripe's width that emits (LCD aperture ratios 50-80%; OLED emitters are smaller). */
  fillX: number;
  /** Share of a pixel's height that emits. */
  fillY: number;
  /** Sub-pixel order left to right. */
  bgr: boolean;
  /** Display gamma (sRGB displays measure 2.0-2.5). */
  gamma: number;
  /** White point relative to the camera's white balance: screens run cool (6500-7500 K) under warm room light. */
  white: [number, number, number];
  /** Black level relative to white (LCD 1:1000 contrast is 0.001; glow off-axis raises it). */
  black: number;
}

/**
 * Draws a display. Sizes are active areas of common devices: phones 64-71 mm wide, 10-11"
 * tablets, 13-16" laptops, 24-27" monitors.
 */
export function randomDisplay(rng: Rng): Display {
  const kind = rng.weighted<DisplayClass>([["phone", 0.4], ["tablet", 0.2], ["laptop", 0.22], ["monitor", 0.18]]);
  const common = {
    bgr: rng.chance(0.1),
    gamma: rng.uniform(2.0, 2.5),
    white: [rng.uniform(0.88, 1.0), rng.uniform(0.95, 1.02), rng.uniform(1.0, 1.2)] as [number, number, number],
    black: rng.uniform(0.0005, 0.004),
  };
  switch (kind) {
    case "phone": {
      const portrait = rng.chance(0.5);
      const w = rng.uniform(64, 71);
      const h = rng.uniform(138, 156);
      return { kind, ppi: rng.uniform(300, 460), widthMm: portrait ? w : h, heightMm: portrait ? h : w, bezelMm: rng.uniform(1.5, 4), fillX: rng.uniform(0.45, 0.8), fillY: rng.uniform(0.55, 0.85), ...common };
    }
    case "tablet": {
      const portrait = rng.chance(0.4);
      const w = rng.uniform(150, 180);
      const h = rng.uniform(215, 250);
      return { kind, ppi: rng.uniform(220, 265), widthMm: portrait ? w : h, heightMm: portrait ? h : w, bezelMm: rng.uniform(5, 12), fillX: rng.uniform(0.6, 0.8), fillY: rng.uniform(0.65, 0.85), ...common };
    }
    case "laptop":
      return { kind, ppi: rng.uniform(130, 230), widthMm: rng.uniform(285, 345), heightMm: rng.uniform(178, 215), bezelMm: rng.uniform(4, 10), fillX: rng.uniform(0.6, 0.8), fillY: rng.uniform(0.65, 0.85), ...common };
    default:
      return { kind, ppi: rng.uniform(100, 110), widthMm: rng.uniform(525, 600), heightMm: rng.uniform(295, 340), bezelMm: rng.uniform(3, 15), fillX: rng.uniform(0.65, 0.82), fillY: rng.uniform(0.7, 0.88), ...common };
  }
}

/** Local alias: transpiled to CommonJS (tsx, vitest), every call through an import is a getter call. */
const textureAt = sampleTexture;

/** Running integral of a periodic (period 1) box that is on over [start, start + duty] of each period. */
function boxIntegral(x: number, start: number, duty: number): number {
  const k = Math.floor(x);
  const f = x - k - start;
  return k * duty + (f <= 0 ? 0 : f >= duty ? duty : f);
}

/**
 * Mean coverage of the interval [x0, x1] by that periodic box: the exact box-filtered value
 * of a stripe pattern under one photosite. (No closures in here: esbuild's keepNames, which
 * tsx and vitest use, makes every closure creation an Object.defineProperty call.)
 */
function stripeCoverage(x0: number, x1: number, start: number, duty: number): number {
  return (boxIntegral(x1, start, duty) - boxIntegral(x0, start, duty)) / (x1 - x0);
}

/**
 * Summed-area table of a plane, (w + 1) x (h + 1), in float64: the sum over any rectangle of
 * pixels in four reads.
 */
function summedArea(plane: Float32Array, w: number, h: number): Float64Array {
  const sat = new Float64Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += plane[y * w + x];
      sat[(y + 1) * (w + 1) + x + 1] = sat[y * (w + 1) + x + 1] + row;
    }
  }
  return sat;
}

/**
 * Means of three planes over the box [x0, x1] x [y0, y1] (pixel units) from their summed-area
 * tables, written to out[0..2]; the part of the box outside the planes counts as `outside`.
 * The four corners' positions and weights are shared by the three tables.
 */
function boxMeans(
  tables: [Float64Array, Float64Array, Float64Array],
  w: number,
  h: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  outside: [number, number, number],
  out: Float64Array,
): void {
  const cx0 = x0 < 0 ? 0 : x0 > w ? w : x0;
  const cx1 = x1 < 0 ? 0 : x1 > w ? w : x1;
  const cy0 = y0 < 0 ? 0 : y0 > h ? h : y0;
  const cy1 = y1 < 0 ? 0 : y1 > h ? h : y1;
  const s = w + 1;
  // Integer corners and fractions of the four clamped box corners.
  const ia = Math.floor(cx0);
  const ib = Math.floor(cx1);
  const ja = Math.floor(cy0);
  const jb = Math.floor(cy1);
  const fa = cx0 - ia;
  const fb = cx1 - ib;
  const ga = cy0 - ja;
  const gb = cy1 - jb;
  const ia1 = ia < w ? ia + 1 : ia;
  const ib1 = ib < w ? ib + 1 : ib;
  const ja1 = ja < h ? ja + 1 : ja;
  const jb1 = jb < h ? jb + 1 : jb;
  const area = (x1 - x0) * (y1 - y0);
  const outsideArea = area - (cx1 - cx0) * (cy1 - cy0);
  for (let p = 0; p < 3; p++) {
    const t = tables[p];
    const inner = satRead(t, s, ib, ib1, fb, jb, jb1, gb) - satRead(t, s, ia, ia1, fa, jb, jb1, gb) - satRead(t, s, ib, ib1, fb, ja, ja1, ga) + satRead(t, s, ia, ia1, fa, ja, ja1, ga);
    out[p] = (inner + outside[p] * outsideArea) / area;
  }
}

/** Bilinear read of a summed-area table (row stride s) between integer corners (i, j) and (i1, j1). */
function satRead(t: Float64Array, s: number, i: number, i1: number, f: number, j: number, j1: number, g: number): number {
  const top = t[j * s + i] + (t[j * s + i1] - t[j * s + i]) * f;
  const bottom = t[j1 * s + i] + (t[j1 * s + i1] - t[j1 * s + i]) * f;
  return top + (bottom - top) * g;
}

/** Up to this footprint (in screen pixels) the sub-pixel grid is integrated pixel by pixel. */
const EXACT_UP_TO = 2;

interface ScreenParams {
  display: Display;
  /** Pixel pitch, mm. */
  pitch: number;
  /** Emitted light per screen pixel of the shown document, per primary (linear). */
  emission: LinearImage;
  /** Emission of the viewer's background around the document. */
  viewer: [number, number, number];
  /** Active area in plane mm (the document's top-left screen pixel corner is the origin). */
  active: { u0: number; v0: number; u1: number; v1: number };
  /** A photosite's footprint in screen pixels. */
  delta: number;
  /** Camera channel c's response to primary s at [c * 3 + s]. */
  crosstalk: number[];
  /** Room light relative to the screen's white. */
  ambient: number;
  /** Room light the glass reflects everywhere. */
  reflect: number;
  bezelGrey: number;
  light: LightField;
  glare: Highlight;
  table: PlaneTexture | null;
  shadow: ContactShadow;
}

/**
 * The screen in the plane: inside the active area, each photosite's footprint [x0, x1] x
 * [y0, y1] (screen pixels) collects the light of every emitter it overlaps. Pixel (ix, iy)
 * has three stripes; stripe s emits over [start_s, start_s + duty] horizontally and
 * [rowStart, rowEnd] vertically of its cell, so a cell's contribution is its emission times
 * the overlap lengths. Around it the bezel, then the table or the backdrop.
 */
class ScreenSurface implements Surface {
  private readonly E0: Float32Array;
  private readonly E1: Float32Array;
  private readonly E2: Float32Array;
  /** Summed-area tables of the emission, for footprints wider than EXACT_UP_TO. */
  private readonly tables: [Float64Array, Float64Array, Float64Array];
  private readonly viewer: [number, number, number];
  private readonly means = new Float64Array(3);
  private readonly docPx: number;
  private readonly docPy: number;
  private readonly V0: number;
  private readonly V1: number;
  private readonly V2: number;
  private readonly invPitch: number;
  private readonly delta: number;
  private readonly half: number;
  private readonly exact: boolean;
  private readonly sR: number;
  private readonly sG: number;
  private readonly sB: number;
  private readonly duty: number;
  private readonly rowStart: number;
  private readonly rowEnd: number;
  private readonly fillY: number;
  /** Light normalised so that a full-white area emits 1 on average over the grid. */
  private readonly gain: number;
  private readonly k: Float64Array;
  private readonly u0: number;
  private readonly v0: number;
  private readonly u1: number;
  private readonly v1: number;
  private readonly bezel: number;
  private readonly ambient: number;
  private readonly reflect: number;
  private readonly bezelGrey: number;
  private readonly light: LightField;
  private readonly glare: Highlight;
  private readonly table: PlaneTexture | null;
  private readonly shadow: ContactShadow;

  constructor(p: ScreenParams) {
    [this.E0, this.E1, this.E2] = p.emission.planes;
    this.docPx = p.emission.width;
    this.docPy = p.emission.height;
    [this.V0, this.V1, this.V2] = p.viewer;
    this.invPitch = 1 / p.pitch;
    this.delta = p.delta;
    this.half = p.delta / 2;
    this.exact = p.delta <= EXACT_UP_TO;
    const none = new Float64Array(0);
    const [p0, p1, p2] = p.emission.planes;
    this.tables = this.exact ? [none, none, none] : [summedArea(p0, this.docPx, this.docPy), summedArea(p1, this.docPx, this.docPy), summedArea(p2, this.docPx, this.docPy)];
    this.viewer = p.viewer;
    // Stripe s of a pixel spans [s/3, (s+1)/3); its emitter is centred in it, fillX of its width.
    const starts = [0, 1, 2].map((s) => (s + (1 - p.display.fillX) / 2) / 3);
    const order = p.display.bgr ? [2, 1, 0] : [0, 1, 2];
    this.sR = starts[order[0]];
    this.sG = starts[order[1]];
    this.sB = starts[order[2]];
    this.duty = p.display.fillX / 3;
    this.fillY = p.display.fillY;
    this.rowStart = (1 - p.display.fillY) / 2;
    this.rowEnd = this.rowStart + p.display.fillY;
    this.gain = 1 / (this.duty * p.display.fillY);
    this.k = Float64Array.from(p.crosstalk);
    ({ u0: this.u0, v0: this.v0, u1: this.u1, v1: this.v1 } = p.active);
    this.bezel = p.display.bezelMm;
    this.ambient = p.ambient;
    this.reflect = p.reflect;
    this.bezelGrey = p.bezelGrey;
    this.light = p.light;
    this.glare = p.glare;
    this.table = p.table;
    this.shadow = p.shadow;
  }

  radiance(u: number, v: number, c: number): number {
    if (u >= this.u0 && u < this.u1 && v >= this.v0 && v < this.v1) return this.emitted(u, v, c) + this.reflect + this.glare.at(u, v);
    const b = this.bezel;
    if (u >= this.u0 - b && u < this.u1 + b && v >= this.v0 - b && v < this.v1 + b) return this.bezelGrey * this.ambient * this.light.at(u, v) + this.glare.at(u, v);
    if (this.table === null) return NaN;
    return textureAt(this.table, u, v, c) * this.ambient * this.light.at(u, v) * this.shadow.at(u, v);
  }

  /** Light from the emitters under the footprint centred at (u, v), for camera channel c. */
  private emitted(u: number, v: number, c: number): number {
    const k0 = this.k[c * 3];
    const k1 = this.k[c * 3 + 1];
    const k2 = this.k[c * 3 + 2];
    const x0 = u * this.invPitch - this.half;
    const y0 = v * this.invPitch - this.half;
    const x1 = x0 + this.delta;
    const y1 = y0 + this.delta;
    const { sR, sG, sB, duty, rowStart, rowEnd, docPx, docPy } = this;
    if (!this.exact) {
      // A footprint over many screen pixels: the mean emission under it (the document's content
      // box-filtered exactly, from the summed-area tables) times the mean lit share of each
      // primary's stripes (analytic), which keeps the grid's beat with the sensor.
      const rows = stripeCoverage(y0, y1, rowStart, this.fillY);
      const cr = stripeCoverage(x0, x1, sR, duty);
      const cg = stripeCoverage(x0, x1, sG, duty);
      const cb = stripeCoverage(x0, x1, sB, duty);
      const e = this.means;
      boxMeans(this.tables, docPx, docPy, x0, y0, x1, y1, this.viewer, e);
      const e0 = e[0];
      const e1 = e[1];
      const e2 = e[2];
      return this.gain * rows * (k0 * cr * e0 + k1 * cg * e1 + k2 * cb * e2);
    }
    // The footprint covers at most 3 x 3 screen pixels: add each one's lit share of it.
    // Within one pixel every emitter is a single interval, so each share is an overlap.
    const ix0 = Math.floor(x0);
    const ix1 = Math.floor(x1);
    const iy1 = Math.floor(y1);
    const eR = sR + duty;
    const eG = sG + duty;
    const eB = sB + duty;
    let r = 0;
    for (let iy = Math.floor(y0); iy <= iy1; iy++) {
      const ya = (y0 > iy ? y0 : iy) - iy;
      const yb = (y1 < iy + 1 ? y1 : iy + 1) - iy;
      const rows = (yb < rowEnd ? yb : rowEnd) - (ya > rowStart ? ya : rowStart);
      if (rows <= 0) continue;
      const inRow = iy >= 0 && iy < docPy;
      for (let ix = ix0; ix <= ix1; ix++) {
        const xa = (x0 > ix ? x0 : ix) - ix;
        const xb = (x1 < ix + 1 ? x1 : ix + 1) - ix;
        let cr = (xb < eR ? xb : eR) - (xa > sR ? xa : sR);
        let cg = (xb < eG ? xb : eG) - (xa > sG ? xa : sG);
        let cb = (xb < eB ? xb : eB) - (xa > sB ? xa : sB);
        if (cr < 0) cr = 0;
        if (cg < 0) cg = 0;
        if (cb < 0) cb = 0;
        const inside = inRow && ix >= 0 && ix < docPx;
        const j = inside ? iy * docPx + ix : 0;
        r += rows * (k0 * cr * (inside ? this.E0[j] : this.V0) + k1 * cg * (inside ? this.E1[j] : this.V1) + k2 * cb * (inside ? this.E2[j] : this.V2));
      }
    }
    return (r * this.gain) / (this.delta * this.delta);
  }
}

/**
 * A screen capture. The viewer scales the document to the screen's pixels (the document
 * then spans a whole number of them); each screen pixel lights its three stripes at the
 * display's gamma and white point; the glass adds a little reflected room light and sometimes
 * a glare; the phone camera photographs it all at a random pose. `overrides` fixes parts of
 * the camera or the display.
 */
export async function captureScreen(doc: DocumentRaster, rng: Rng, overrides?: { camera?: Partial<Camera>; display?: Partial<Display> }): Promise<Capture> {
  const camera = cameraWith(rng.fork("camera"), overrides?.camera);
  const display = { ...randomDisplay(rng.fork("display")), ...overrides?.display };
  const pitch = 25.4 / display.ppi;
  const aspect = doc.width / doc.height;

  // How large the viewer shows the document: fitted to the screen, or smaller in a window.
  const fit = Math.min(display.widthMm * 0.96, display.heightMm * 0.96 * aspect);
  const share = display.kind === "phone" || display.kind === "tablet" ? rng.uniform(0.6, 1) : rng.uniform(0.3, 0.85);
  const docPx = Math.max(420, Math.min(Math.floor(fit / pitch), Math.round((fit * share) / pitch)));
  const docPy = Math.round(docPx / aspect);
  const activePx = Math.floor(display.widthMm / pitch);
  const activePy = Math.floor(display.heightMm / pitch);
  const freeX = Math.max(0, activePx - docPx);
  const freeY = Math.max(0, activePy - docPy);
  const ox = Math.round(freeX * (0.5 + rng.uniform(-0.5, 0.5) * (rng.chance(0.5) ? 1 : 0.2)));
  const oy = Math.round(freeY * (0.5 + rng.uniform(-0.5, 0.5) * (rng.chance(0.5) ? 1 : 0.2)));
  const docW = docPx * pitch;
  const docH = docPy * pitch;
  // Plane coordinates: mm on the glass, the document's top-left screen pixel corner at the origin.
  const a0u = -ox * pitch;
  const a0v = -oy * pitch;
  const a1u = a0u + activePx * pitch;
  const a1v = a0v + activePy * pitch;

  const placement = placeDocument(rng.fork("pose"), camera, { u0: 0, v0: 0, w: docW, h: docH }, { fill: FILL, maxTilt: MAX_TILT, maxRoll: MAX_ROLL });
  // One photosite's footprint in screen pixels.
  const delta = footprintMm(placement, camera) / pitch;

  // What the screen shows, one value per screen pixel and primary: the viewer's resampling
  // of the document (sRGB), through the display's transfer curve and white point.
  const kernel = rng.pick(["linear", "cubic", "lanczos3"] as const);
  const shown = await sharp(doc.data, { raw: { width: doc.width, height: doc.height, channels: 3 } }).resize(docPx, docPy, { fit: "fill", kernel }).raw().toBuffer();
  const transfer = new Float32Array(256);
  for (let i = 0; i < 256; i++) transfer[i] = display.black + (1 - display.black) * (i / 255) ** display.gamma;
  const emission = createLinear(docPx, docPy);
  const [E0, E1, E2] = emission.planes;
  const [w0, w1, w2] = display.white;
  for (let i = 0, j = 0; i < docPx * docPy; i++, j += 3) {
    E0[i] = transfer[shown[j]] * w0;
    E1[i] = transfer[shown[j + 1]] * w1;
    E2[i] = transfer[shown[j + 2]] * w2;
  }

  // The camera's colour filters are not ideal: each channel sees a little of the neighbouring primaries.
  const leak = rng.uniform(0.04, 0.14);
  const far = rng.uniform(0.01, 0.04);
  const viewerByte = rng.weighted([[0, 0.4], [rng.int(20, 50), 0.2], [255, 0.25], [rng.int(225, 245), 0.15]] as const);
  const ambient = rng.uniform(0.08, 0.5);
  // Phones and tablets lie on a table or are held; laptops and monitors stand in the room.
  const surroundings = await chooseSurroundings(rng.fork("surroundings"), placement, camera, display.kind === "phone" || display.kind === "tablet" ? 0.65 : 0.1);
  // The room is lit by `ambient` (relative to the screen's white), not by the screen.
  if (surroundings.backdrop) for (const p of surroundings.backdrop.planes) for (let i = 0; i < p.length; i++) p[i] *= 2.5 * ambient;
  const surface = new ScreenSurface({
    display,
    pitch,
    emission,
    viewer: [0, 1, 2].map((s) => transfer[viewerByte] * display.white[s]) as [number, number, number],
    active: { u0: a0u, v0: a0v, u1: a1u, v1: a1v },
    delta,
    crosstalk: [1, leak, far, leak, 1, leak, far, leak, 1],
    ambient,
    reflect: rng.uniform(0.004, 0.03) * ambient,
    bezelGrey: rng.uniform(0.01, 0.05),
    light: new LightField(rng.fork("light"), [docW / 2, docH / 2], docW),
    glare: new Highlight(rng.fork("glare"), docW, docH, 0.4, 0.5),
    table: surroundings.table,
    shadow: new ContactShadow(rng.fork("shadow"), { u0: a0u - display.bezelMm, v0: a0v - display.bezelMm, w: a1u - a0u + 2 * display.bezelMm, h: a1v - a0v + 2 * display.bezelMm }, 2),
  });

  const bezel = display.bezelMm;
  const scene: Scene = {
    planeToImage: placement.planeToImage,
    surface,
    backdrop: surroundings.backdrop,
    edges: [
      { u0: a0u, v0: a0v, w: a1u - a0u, h: a1v - a0v },
      { u0: a0u - bezel, v0: a0v - bezel, w: a1u - a0u + 2 * bezel, h: a1v - a0v + 2 * bezel },
    ],
    cornerRadius: 0,
    meter: placement.corners,
  };
  const jpeg = await photograph(rng.fork("sensor"), scene, camera);
  return { label: "screen", image: jpeg, format: "jpeg", width: camera.width, height: camera.height, corners: placement.corners };
}
