import type { Rng } from "./rng";

/**
 * Pixel containers and the few pixel helpers the simulations share. Light is simulated in linear
 * units (radiance relative to a white that just saturates the sensor) on planar Float32
 * images; 8-bit sRGB appears only where sharp reads or writes pixels.
 */

/** Three planes R, G, B of `width * height` linear values. */
export interface LinearImage {
  width: number;
  height: number;
  planes: [Float32Array, Float32Array, Float32Array];
}

/** 8-bit sRGB, interleaved RGB. */
export interface RgbRaster {
  width: number;
  height: number;
  data: Buffer;
}

/** sRGB byte to linear (IEC 61966-2-1). */
const SRGB_TO_LINEAR = (() => {
  const lut = new Float32Array(256);
  for (let i = 0; i < 256; i++) {
    const c = i / 255;
    lut[i] = c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }
  return lut;
})();

const ENCODE_STEPS = 4096;
const LINEAR_TO_SRGB = (() => {
  const lut = new Uint8Array(ENCODE_STEPS + 1);
  for (let i = 0; i <= ENCODE_STEPS; i++) {
    const c = i / ENCODE_STEPS;
    const s = c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
    lut[i] = Math.round(Math.min(1, Math.max(0, s)) * 255);
  }
  return lut;
})();

/** Linear [0, 1] to an sRGB byte, clipped. */
export function encodeSrgb(v: number): number {
  if (!(v > 0)) return 0;
  if (v >= 1) return 255;
  return LINEAR_TO_SRGB[(v * ENCODE_STEPS + 0.5) | 0];
}

/** A black linear image. */
export function createLinear(width: number, height: number): LinearImage {
  const n = width * height;
  return { width, height, planes: [new Float32Array(n), new Float32Array(n), new Float32Array(n)] };
}

/** Interleaved sRGB bytes (3 or 4 channels) to linear planes. */
export function toLinear(raster: RgbRaster, channels = 3): LinearImage {
  const out = createLinear(raster.width, raster.height);
  const [r, g, b] = out.planes;
  const src = raster.data;
  for (let i = 0, j = 0; i < r.length; i++, j += channels) {
    r[i] = SRGB_TO_LINEAR[src[j]];
    g[i] = SRGB_TO_LINEAR[src[j + 1]];
    b[i] = SRGB_TO_LINEAR[src[j + 2]];
  }
  return out;
}

/**
 * Smooth value noise in about [-1, 1]: random values on a lattice of `cell` pixels,
 * interpolated with a cubic Hermite fade, summed over `octaves` halving the cell each time.
 * `stretchX` > 1 elongates features along x (wood grain, paper fibres).
 */
export function valueNoise(rng: Rng, width: number, height: number, cell: number, octaves = 1, stretchX = 1): Float32Array {
  const out = new Float32Array(width * height);
  let amplitude = 1;
  let total = 0;
  for (let o = 0; o < octaves; o++) {
    const cy = Math.max(1, cell / 2 ** o);
    const cx = cy * stretchX;
    const gw = Math.ceil(width / cx) + 2;
    const gh = Math.ceil(height / cy) + 2;
    const grid = new Float32Array(gw * gh);
    for (let i = 0; i < grid.length; i++) grid[i] = rng.next() * 2 - 1;
    const fx = new Float32Array(width);
    const ix = new Int32Array(width);
    for (let x = 0; x < width; x++) {
      const gx = x / cx;
      ix[x] = Math.floor(gx);
      const t = gx - ix[x];
      fx[x] = t * t * (3 - 2 * t);
    }
    for (let y = 0; y < height; y++) {
      const gy = y / cy;
      const iy = Math.floor(gy);
      let t = gy - iy;
      t = t * t * (3 - 2 * t);
      const r0 = iy * gw;
      const r1 = r0 + gw;
      const row = y * width;
      for (let x = 0; x < width; x++) {
        const i = ix[x];
        const s = fx[x];
        const top = grid[r0 + i] + (grid[r0 + i + 1] - grid[r0 + i]) * s;
        const bottom = grid[r1 + i] + (grid[r1 + i + 1] - grid[r1 + i]) * s;
        out[row + x] += amplitude * (top + (bottom - top) * t);
      }
    }
    total += amplitude;
    amplitude *= 0.5;
  }
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}

/** Bilinear sample of one plane at continuous pixel coordinates (pixel centres at +0.5), edges clamped. */
export function samplePlane(plane: Float32Array, width: number, height: number, x: number, y: number): number {
  let fx = x - 0.5;
  let fy = y - 0.5;
  if (fx < 0) fx = 0;
  else if (fx > width - 1) fx = width - 1;
  if (fy < 0) fy = 0;
  else if (fy > height - 1) fy = height - 1;
  const x0 = fx | 0;
  const y0 = fy | 0;
  const x1 = x0 + 1 < width ? x0 + 1 : x0;
  const y1 = y0 + 1 < height ? y0 + 1 : y0;
  const tx = fx - x0;
  const ty = fy - y0;
  const r0 = y0 * width;
  const r1 = y1 * width;
  const top = plane[r0 + x0] + (plane[r0 + x1] - plane[r0 + x0]) * tx;
  const bottom = plane[r1 + x0] + (plane[r1 + x1] - plane[r1 + x0]) * tx;
  return top + (bottom - top) * ty;
}
