import sharp from "sharp";
import type { Mat3, Point } from "./geometry";
import { decodeSample } from "./portraits";
import { apply, invert } from "./geometry";
import type { LinearImage } from "./raster";
import { createLinear, samplePlane, toLinear, valueNoise } from "./raster";
import type { Rng } from "./rng";

/**
 * What surrounds the document in a photo: a surface it lies on (a table, in the document's
 * plane, so it shares its perspective) or the out-of-focus room behind a hand-held document
 * (in image space, from the sample photos).
 */

/** A texture laid on the plane: texel (i, j) covers plane point origin + R^T (i, j) / pxPerMm. */
export interface PlaneTexture {
  image: LinearImage;
  u0: number;
  v0: number;
  pxPerMm: number;
  cos: number;
  sin: number;
}

/** Local alias: transpiled to CommonJS (tsx, vitest), every call through an import is a getter call. */
const bilinear = samplePlane;

export function sampleTexture(t: PlaneTexture, u: number, v: number, c: number): number {
  const du = u - t.u0;
  const dv = v - t.v0;
  const x = (du * t.cos + dv * t.sin) * t.pxPerMm;
  const y = (-du * t.sin + dv * t.cos) * t.pxPerMm;
  return bilinear(t.image.planes[c], t.image.width, t.image.height, x, y);
}

/** The plane region seen by a W x H frame, in coordinates rotated by `angle`, with a margin. */
function visiblePlane(planeToImage: Mat3, W: number, H: number, angle: number): { u0: number; v0: number; w: number; h: number } {
  const inv = invert(planeToImage);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const pts: Point[] = [];
  for (const [x, y] of [[0, 0], [W, 0], [W, H], [0, H], [W / 2, 0], [W, H / 2], [W / 2, H], [0, H / 2]] as Point[]) {
    const [u, v] = apply(inv, [x, y]);
    pts.push([u * cos + v * sin, -u * sin + v * cos]);
  }
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const x1 = Math.min(...xs);
  const y1 = Math.min(...ys);
  const pad = 0.05 * Math.max(Math.max(...xs) - x1, Math.max(...ys) - y1);
  return { u0: x1 - pad, v0: y1 - pad, w: Math.max(...xs) - x1 + 2 * pad, h: Math.max(...ys) - y1 + 2 * pad };
}

type Material = "wood" | "laminate" | "fabric" | "stone";

function randomBase(rng: Rng, material: Material): [number, number, number] {
  switch (material) {
    case "wood": {
      const l = rng.uniform(0.08, 0.45);
      return [l, l * rng.uniform(0.55, 0.75), l * rng.uniform(0.3, 0.5)];
    }
    case "laminate": {
      const l = rng.pick([rng.uniform(0.02, 0.06), rng.uniform(0.15, 0.35), rng.uniform(0.55, 0.8)]);
      return [l * rng.uniform(0.95, 1.05), l, l * rng.uniform(0.92, 1.08)];
    }
    case "fabric": {
      const h = rng.next();
      const l = rng.uniform(0.03, 0.4);
      return [l * (0.6 + 0.8 * h), l * (0.6 + 0.8 * ((h + 0.33) % 1)), l * (0.6 + 0.8 * ((h + 0.66) % 1))];
    }
    default: {
      const l = rng.uniform(0.05, 0.5);
      return [l, l * rng.uniform(0.95, 1.02), l * rng.uniform(0.9, 1.05)];
    }
  }
}

/**
 * A table top in the document's plane: wood (grain and planks), laminate, fabric (a weave of
 * 1-2.5 mm threads) or stone (speckles), as reflectance. Its resolution follows the camera's
 * (`pxPerMm` at the document) so it never holds detail the photo cannot show.
 */
export function tableTexture(rng: Rng, planeToImage: Mat3, W: number, H: number, cameraPxPerMm: number): PlaneTexture {
  const material = rng.weighted<Material>([["wood", 3], ["laminate", 3], ["fabric", 2], ["stone", 1]]);
  const angle = rng.chance(0.6) ? rng.uniform(-0.15, 0.15) : rng.uniform(0, Math.PI);
  const region = visiblePlane(planeToImage, W, H, angle);
  // A third of the camera's resolution: a table top holds little detail a phone resolves beside the document.
  const pxPerMm = Math.min(cameraPxPerMm * 0.35, 1200 / region.w, 1200 / region.h);
  const tw = Math.max(8, Math.ceil(region.w * pxPerMm));
  const th = Math.max(8, Math.ceil(region.h * pxPerMm));
  const image = createLinear(tw, th);
  const base = randomBase(rng, material);
  const n = tw * th;
  const mm = (v: number) => Math.max(1, v * pxPerMm);
  const shade = new Float32Array(n).fill(1);
  const smudge = valueNoise(rng, tw, th, mm(rng.uniform(30, 80)), 2);
  if (material === "wood") {
    const grain = valueNoise(rng, tw, th, mm(0.7), 2, 25);
    const rings = valueNoise(rng, tw, th, mm(35), 2, 4);
    const period = rng.uniform(4, 12);
    const plank = rng.uniform(90, 180);
    const plankShade = Array.from({ length: 64 }, () => rng.uniform(0.85, 1.15));
    for (let j = 0; j < th; j++) {
      const v = region.v0 + j / pxPerMm;
      const k = Math.floor(v / plank);
      const seam = Math.abs(v - Math.round(v / plank) * plank) < 0.4 ? 0.45 : 1;
      for (let i = 0; i < tw; i++) {
        const idx = j * tw + i;
        const ring = 0.5 + 0.5 * Math.sin((2 * Math.PI * (v + rings[idx] * 12)) / period);
        shade[idx] = plankShade[((k % 64) + 64) % 64] * seam * (1 + 0.18 * grain[idx]) * (1 - 0.22 * ring ** 3);
      }
    }
  } else if (material === "fabric") {
    const thread = rng.uniform(1, 2.5);
    const fuzz = valueNoise(rng, tw, th, mm(0.6), 1);
    for (let j = 0; j < th; j++) {
      const v = (region.v0 + j / pxPerMm) / thread;
      for (let i = 0; i < tw; i++) {
        const u = (region.u0 + i / pxPerMm) / thread;
        const idx = j * tw + i;
        const weave = Math.sin(2 * Math.PI * u) * Math.sin(2 * Math.PI * v);
        shade[idx] = 1 + 0.12 * weave + 0.1 * fuzz[idx];
      }
    }
  } else {
    const fine = valueNoise(rng, tw, th, mm(material === "stone" ? 1.5 : 3), 2);
    for (let i = 0; i < n; i++) {
      shade[i] = material === "stone" ? (fine[i] > 0.35 ? 0.45 : fine[i] < -0.4 ? 1.5 : 1 + 0.1 * fine[i]) : 1 + 0.03 * fine[i];
    }
  }
  const [R, G, B] = image.planes;
  for (let i = 0; i < n; i++) {
    const s = shade[i] * (1 + 0.06 * smudge[i]);
    R[i] = Math.min(1, base[0] * s);
    G[i] = Math.min(1, base[1] * s);
    B[i] = Math.min(1, base[2] * s);
  }
  return { image, u0: region.u0 * Math.cos(angle) - region.v0 * Math.sin(angle), v0: region.u0 * Math.sin(angle) + region.v0 * Math.cos(angle), pxPerMm, cos: Math.cos(angle), sin: Math.sin(angle) };
}

/**
 * The room behind a hand-held document: a region of one of the sample photos filling the
 * frame, defocused (the document is 10-40 cm from a lens focused on it, so the room is far
 * outside the depth of field) and dimmed or brightened relative to the document.
 */
export async function photoBackdrop(rng: Rng, W: number, H: number): Promise<LinearImage> {
  const photo = await decodeSample(`sample${rng.int(1, 6)}.jpg`);
  const pw = photo.width;
  const ph = photo.height;
  const aspect = W / H;
  const cropW = Math.min(pw, Math.round(Math.min(pw, ph * aspect) * rng.uniform(0.45, 1)));
  const cropH = Math.min(ph, Math.round(cropW / aspect));
  const left = rng.int(0, pw - cropW);
  const top = rng.int(0, ph - cropH);
  // Defocus of 0.6-2% of the frame: blurred at a quarter of the size (the same result, a
  // sixteenth of the work) and enlarged.
  const sigma = rng.uniform(0.006, 0.02) * Math.max(W, H);
  const sw = Math.ceil(W / 4);
  const sh = Math.ceil(H / 4);
  let pipeline = sharp(photo.data, { raw: { width: pw, height: ph, channels: 3 } }).extract({ left, top, width: cropW, height: cropH }).resize(sw, sh, { fit: "fill" });
  if (rng.chance(0.5)) pipeline = pipeline.flop();
  const small = await pipeline.blur(sigma / 4).removeAlpha().raw().toBuffer();
  const data = await sharp(small, { raw: { width: sw, height: sh, channels: 3 } }).resize(W, H, { fit: "fill", kernel: "cubic" }).raw().toBuffer();
  const image = toLinear({ width: W, height: H, data });
  const level = rng.uniform(0.35, 1.1);
  for (const p of image.planes) for (let i = 0; i < p.length; i++) p[i] *= level;
  return image;
}

/**
 * Light falling on the plane: a linear gradient across the document (one lamp or window off to
 * a side: up to +-35% over its width) and sometimes the soft shadow of the phone or hand.
 * `at` returns irradiance relative to the document centre's. (A class rather than a closure:
 * it is called for every photosite, and V8 optimises a method on a stable shape far better
 * than a closure re-created per image.)
 */
export class LightField {
  private readonly cu: number;
  private readonly cv: number;
  private readonly gu: number;
  private readonly gv: number;
  private readonly shadowDepth: number;
  private readonly nu: number;
  private readonly nv: number;
  private readonly offset: number;
  private readonly halfInvSoft: number;

  constructor(rng: Rng, centre: Point, size: number) {
    const angle = rng.uniform(0, 2 * Math.PI);
    const strength = rng.uniform(0, 0.35) / size;
    this.gu = Math.cos(angle) * strength;
    this.gv = Math.sin(angle) * strength;
    [this.cu, this.cv] = centre;
    const shadowed = rng.chance(0.2);
    const normal = rng.uniform(0, 2 * Math.PI);
    this.nu = Math.cos(normal);
    this.nv = Math.sin(normal);
    this.shadowDepth = shadowed ? rng.uniform(0.25, 0.55) : 0;
    this.offset = rng.uniform(0.2, 0.5) * size;
    this.halfInvSoft = 1 / (2 * rng.uniform(0.05, 0.15) * size);
  }

  at(u: number, v: number): number {
    const du = u - this.cu;
    const dv = v - this.cv;
    let e = 1 + this.gu * du + this.gv * dv;
    if (this.shadowDepth > 0) {
      let t = 0.5 + (du * this.nu + dv * this.nv - this.offset) * this.halfInvSoft;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      e *= 1 - this.shadowDepth * t * t * (3 - 2 * t);
    }
    return e > 0.2 ? e : 0.2;
  }
}
