import sharp from "sharp";
import { samplePhoto } from "@/lib/inference/testing/photos";
import type { RgbRaster } from "./raster";
import type { Rng } from "./rng";

/**
 * Portraits for the specimens: real faces from the pinned sample photos (models/manifest.json,
 * fetched at install). The boxes and eye centres below are what `analyzeFaces` finds in
 * them, run once and pinned here so the generator needs neither onnxruntime nor its worker
 * pool, and stays deterministic if a model is ever updated; portraits.test.ts checks the
 * table against the detector. One face is left out: sample2's leftmost, seen in profile (ID
 * portraits are frontal, ICAO 9303 part 3).
 */
export interface PinnedFace {
  photo: string;
  /** x1, y1, x2, y2 in pixels of the photo. */
  box: [number, number, number, number];
  /** Centres of the left and right eye as seen in the photo. */
  eyes: [[number, number], [number, number]];
}

export const PINNED_FACES: readonly PinnedFace[] = [
  { photo: "sample1.jpg", box: [1463, 215, 1696, 443], eyes: [[1555, 282], [1613, 340]] },
  { photo: "sample1.jpg", box: [414, 360, 600, 592], eyes: [[440, 456], [514, 457]] },
  { photo: "sample1.jpg", box: [827, 425, 1029, 654], eyes: [[873, 551], [944, 517]] },
  { photo: "sample2.jpg", box: [1440, 168, 1646, 390], eyes: [[1487, 279], [1564, 257]] },
  { photo: "sample2.jpg", box: [888, 243, 1062, 467], eyes: [[951, 342], [1035, 339]] },
  { photo: "sample3.jpg", box: [1075, 210, 1302, 502], eyes: [[1117, 321], [1211, 341]] },
  { photo: "sample3.jpg", box: [589, 315, 800, 607], eyes: [[628, 434], [724, 435]] },
  { photo: "sample3.jpg", box: [1504, 306, 1688, 566], eyes: [[1558, 413], [1653, 404]] },
  { photo: "sample4.jpg", box: [661, 66, 842, 314], eyes: [[707, 151], [776, 187]] },
  { photo: "sample4.jpg", box: [990, 178, 1165, 429], eyes: [[1006, 281], [1076, 293]] },
  { photo: "sample4.jpg", box: [262, 192, 432, 440], eyes: [[324, 316], [396, 283]] },
  { photo: "sample4.jpg", box: [1265, 155, 1420, 390], eyes: [[1314, 232], [1376, 265]] },
  { photo: "sample5.jpg", box: [377, 883, 553, 1172], eyes: [[423, 993], [521, 981]] },
  { photo: "sample5.jpg", box: [797, 114, 951, 321], eyes: [[847, 195], [918, 207]] },
  { photo: "sample5.jpg", box: [1117, 211, 1273, 433], eyes: [[1152, 296], [1229, 297]] },
  { photo: "sample5.jpg", box: [1411, 383, 1591, 659], eyes: [[1437, 506], [1519, 494]] },
  { photo: "sample5.jpg", box: [601, 419, 776, 673], eyes: [[681, 514], [749, 519]] },
  { photo: "sample6.jpg", box: [1475, 267, 1704, 558], eyes: [[1533, 372], [1628, 394]] },
  { photo: "sample6.jpg", box: [259, 483, 470, 755], eyes: [[323, 607], [426, 594]] },
  { photo: "sample6.jpg", box: [1173, 301, 1367, 579], eyes: [[1225, 427], [1328, 428]] },
  { photo: "sample6.jpg", box: [672, 319, 849, 628], eyes: [[702, 452], [791, 449]] },
];

const decoded = new Map<string, Promise<RgbRaster>>();

/** A sample photo decoded once per process (orientation applied, 8-bit sRGB). */
export function decodeSample(name: string): Promise<RgbRaster> {
  let pending = decoded.get(name);
  if (!pending) {
    pending = sharp(samplePhoto(name))
      .autoOrient()
      .removeAlpha()
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true })
      .then(({ data, info }) => ({ width: info.width, height: info.height, data }));
    decoded.set(name, pending);
  }
  return pending;
}

export interface PortraitOptions {
  width: number;
  height: number;
  /** Grey, as on laser-engraved polycarbonate cards, or colour. */
  grey: boolean;
  /** Fade the photo's own background into a plain light one, as issuers' capture software does. */
  plainBackground: boolean;
}

/**
 * An ICAO-style head-and-shoulders portrait of `face`: the eyes levelled, the face about
 * 58% of the width (ISO/IEC 19794-5 puts the head at 50-75% of the width) and its centre
 * a little below the middle, then toned like a printed ID photo: lower contrast, lifted
 * blacks, slightly desaturated.
 */
export async function renderPortrait(rng: Rng, face: PinnedFace, opts: PortraitOptions): Promise<RgbRaster> {
  const src = await decodeSample(face.photo);
  const { width: W, height: H } = opts;
  const [x1, y1, x2, y2] = face.box;
  const [[lx, ly], [rx, ry]] = face.eyes;
  const roll = Math.max(-0.6, Math.min(0.6, Math.atan2(ry - ly, rx - lx)));
  const scale = (x2 - x1) / (W * rng.uniform(0.52, 0.64));
  const cos = Math.cos(roll) * scale;
  const sin = Math.sin(roll) * scale;
  const sx0 = (x1 + x2) / 2;
  const sy0 = (y1 + y2) / 2 + (y2 - y1) * 0.04;
  const ox = W * rng.uniform(0.47, 0.53);
  const oy = H * rng.uniform(0.5, 0.56);

  const bg = [rng.uniform(205, 240), rng.uniform(210, 242), rng.uniform(215, 248)];
  const contrast = rng.uniform(0.72, 0.9);
  const lift = rng.uniform(12, 34);
  const saturation = opts.grey ? 0 : rng.uniform(0.7, 1);
  const tint = [rng.uniform(0.97, 1.04), 1, rng.uniform(0.94, 1.03)];
  const out = Buffer.alloc(W * H * 3);
  const data = src.data;
  const sw = src.width;
  const sh = src.height;
  const [tr, tg, tb] = tint;
  const scaleOut = 1 - lift / 255;
  const ellipseX = 1 / (W * 0.36);
  const ellipseY = 1 / (H * 0.5);
  const tone = (v: number) => lift + (128 + (v - 128) * contrast) * scaleOut;
  for (let y = 0; y < H; y++) {
    const dy = y + 0.5 - oy;
    for (let x = 0; x < W; x++) {
      const dx = x + 0.5 - ox;
      // Output to source: rotate by the head's roll so the eyes come out level.
      const fx = Math.min(sw - 1.001, Math.max(0, sx0 + cos * dx - sin * dy - 0.5));
      const fy = Math.min(sh - 1.001, Math.max(0, sy0 + sin * dx + cos * dy - 0.5));
      const ix = fx | 0;
      const iy = fy | 0;
      const tx = fx - ix;
      const ty = fy - iy;
      const p = (iy * sw + ix) * 3;
      const q = p + sw * 3;
      const r = (data[p] + (data[p + 3] - data[p]) * tx) * (1 - ty) + (data[q] + (data[q + 3] - data[q]) * tx) * ty;
      const g = (data[p + 1] + (data[p + 4] - data[p + 1]) * tx) * (1 - ty) + (data[q + 1] + (data[q + 4] - data[q + 1]) * tx) * ty;
      const b = (data[p + 2] + (data[p + 5] - data[p + 2]) * tx) * (1 - ty) + (data[q + 2] + (data[q + 5] - data[q + 2]) * tx) * ty;
      const luma = 0.299 * r + 0.587 * g + 0.114 * b;
      let keep = 1;
      if (opts.plainBackground) {
        // An ellipse around head and shoulders keeps the photo; outside it fades to the plain backdrop.
        const ex = dx * ellipseX;
        const ey = (dy + H * 0.06) * ellipseY;
        const e = Math.sqrt(ex * ex + ey * ey);
        keep = e < 0.85 ? 1 : e > 1.15 ? 0 : 1 - (e - 0.85) / 0.3;
      }
      const o = (y * W + x) * 3;
      out[o] = Math.max(0, Math.min(255, Math.round(tone((luma + (r - luma) * saturation) * tr) * keep + bg[0] * (1 - keep))));
      out[o + 1] = Math.max(0, Math.min(255, Math.round(tone((luma + (g - luma) * saturation) * tg) * keep + bg[1] * (1 - keep))));
      out[o + 2] = Math.max(0, Math.min(255, Math.round(tone((luma + (b - luma) * saturation) * tb) * keep + bg[2] * (1 - keep))));
    }
  }
  return { width: W, height: H, data: out };
}
