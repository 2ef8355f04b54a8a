import type { RgbImage } from "./image";

export type Point = [number, number];

/** Axis-aligned box in pixels: left, top, right, bottom. */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/**
 * A 2x3 affine matrix [a, b, c, d, e, f] mapping (x, y) to (a*x + b*y + c, d*x + e*y + f).
 */
export type Affine = [number, number, number, number, number, number];

export function applyAffine(m: Affine, [x, y]: Point): Point {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];
}

export function invertAffine(m: Affine): Affine {
  const det = m[0] * m[4] - m[1] * m[3];
  if (Math.abs(det) < 1e-12) throw new Error("singular affine transform");
  const a = m[4] / det;
  const b = -m[1] / det;
  const d = -m[3] / det;
  const e = m[0] / det;
  return [a, b, -(a * m[2] + b * m[5]), d, e, -(d * m[2] + e * m[5])];
}

export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy non-maximum suppression, highest score first. */
export function nms<T extends { box: Box; score: number }>(items: T[], iouThreshold: number): T[] {
  const sorted = [...items].sort((p, q) => q.score - p.score);
  const kept: T[] = [];
  for (const item of sorted) {
    if (kept.every((k) => iou(k.box, item.box) <= iouThreshold)) kept.push(item);
  }
  return kept;
}

/**
 * Least-squares similarity transform (rotation, uniform scale, translation) taking `src`
 * points onto `dst` points: Umeyama, "Least-squares estimation of transformation parameters
 * between two point patterns", IEEE TPAMI 13(4), 1991. In 2-D the SVD reduces to closed form.
 */
export function umeyama(src: readonly Point[], dst: readonly Point[]): Affine {
  const n = src.length;
  let msx = 0, msy = 0, mdx = 0, mdy = 0;
  for (let i = 0; i < n; i++) {
    msx += src[i][0]; msy += src[i][1]; mdx += dst[i][0]; mdy += dst[i][1];
  }
  msx /= n; msy /= n; mdx /= n; mdy /= n;
  // Cross-covariance terms and source variance.
  let sxx = 0, sxy = 0, syx = 0, syy = 0, varSrc = 0;
  for (let i = 0; i < n; i++) {
    const ax = src[i][0] - msx, ay = src[i][1] - msy;
    const bx = dst[i][0] - mdx, by = dst[i][1] - mdy;
    sxx += bx * ax; sxy += bx * ay; syx += by * ax; syy += by * ay;
    varSrc += ax * ax + ay * ay;
  }
  // For a 2-D similarity the optimal rotation angle and scale follow from these sums.
  const a = sxx + syy;
  const b = syx - sxy;
  const norm = Math.hypot(a, b);
  if (varSrc < 1e-12 || norm < 1e-12) throw new Error("degenerate landmarks");
  const scale = norm / varSrc;
  const cos = (a / norm) * scale;
  const sin = (b / norm) * scale;
  return [cos, -sin, mdx - (cos * msx - sin * msy), sin, cos, mdy - (sin * msx + cos * msy)];
}

export interface WarpOptions {
  /** Output channel order taken from the RGB source: [0,1,2] for RGB, [2,1,0] for BGR, [-1] for grey. */
  channels: readonly number[];
  /** Output value = (px - mean) / std. */
  mean: number;
  std: number;
  /** Value (0-255) for pixels that fall outside the source. */
  border: number;
  /** Average k x k bilinear taps per output pixel when the warp shrinks (anti-aliasing). */
  antialias: boolean;
}

/**
 * Taps per axis for an output pixel covering `footprint` source pixels. Bilinear alone
 * already spans two source pixels, so below 1.75x shrink one tap suffices.
 */
export function tapsFor(footprint: number): number {
  return footprint < 1.75 ? 1 : Math.min(4, Math.ceil(footprint - 0.25));
}

/**
 * Samples `src` through the affine `outToSrc` into a planar (CHW) float tensor of
 * `width` x `height`. With `antialias`, each output pixel averages a grid of bilinear taps
 * as wide as its footprint in the source (up to 4x4), so shrinking a face crop does not alias.
 */
export function warpToTensor(src: RgbImage, outToSrc: Affine, width: number, height: number, opts: WarpOptions, out?: Float32Array): Float32Array {
  if (outToSrc[1] === 0 && outToSrc[3] === 0) return resizeToTensor(src, outToSrc, width, height, opts, out);
  const planes = opts.channels.length;
  const result = out ?? new Float32Array(planes * width * height);
  const { data, width: sw, height: sh } = src;
  const [a, b, c, d, e, f] = outToSrc;
  const k = opts.antialias ? tapsFor(Math.max(Math.hypot(a, d), Math.hypot(b, e))) : 1;
  const inv = 1 / (k * k);
  const scale = 1 / opts.std;
  const mean = opts.mean;
  const border = opts.border;
  const grey = planes === 1 && opts.channels[0] === -1;
  const plane = width * height;
  const stride = sw * 3;
  // Offsets of the k x k taps inside one output pixel, in output pixel units.
  const taps: number[] = [];
  for (let i = 0; i < k; i++) taps.push((i + 0.5) / k - 0.5);
  const sample = (x: number, y: number, ch: number) => (x >= 0 && y >= 0 && x < sw && y < sh ? data[y * stride + x * 3 + ch] : border);
  for (let oy = 0; oy < height; oy++) {
    for (let ox = 0; ox < width; ox++) {
      let r = 0, g = 0, bl = 0;
      for (let ty = 0; ty < k; ty++) {
        const py = oy + taps[ty];
        for (let tx = 0; tx < k; tx++) {
          const px = ox + taps[tx];
          const x = a * px + b * py + c;
          const y = d * px + e * py + f;
          const x0 = Math.floor(x);
          const y0 = Math.floor(y);
          const fx = x - x0;
          const fy = y - y0;
          const w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
          if (x0 >= 0 && y0 >= 0 && x0 + 1 < sw && y0 + 1 < sh) {
            const i00 = y0 * stride + x0 * 3;
            const i01 = i00 + stride;
            r += data[i00] * w00 + data[i00 + 3] * w10 + data[i01] * w01 + data[i01 + 3] * w11;
            g += data[i00 + 1] * w00 + data[i00 + 4] * w10 + data[i01 + 1] * w01 + data[i01 + 4] * w11;
            bl += data[i00 + 2] * w00 + data[i00 + 5] * w10 + data[i01 + 2] * w01 + data[i01 + 5] * w11;
          } else {
            r += sample(x0, y0, 0) * w00 + sample(x0 + 1, y0, 0) * w10 + sample(x0, y0 + 1, 0) * w01 + sample(x0 + 1, y0 + 1, 0) * w11;
            g += sample(x0, y0, 1) * w00 + sample(x0 + 1, y0, 1) * w10 + sample(x0, y0 + 1, 1) * w01 + sample(x0 + 1, y0 + 1, 1) * w11;
            bl += sample(x0, y0, 2) * w00 + sample(x0 + 1, y0, 2) * w10 + sample(x0, y0 + 1, 2) * w01 + sample(x0 + 1, y0 + 1, 2) * w11;
          }
        }
      }
      r *= inv; g *= inv; bl *= inv;
      const idx = oy * width + ox;
      if (grey) {
        // ITU-R BT.601 luma, as OpenCV's cvtColor uses.
        result[idx] = (0.299 * r + 0.587 * g + 0.114 * bl - mean) * scale;
      } else {
        for (let p = 0; p < planes; p++) {
          const ch = opts.channels[p];
          result[p * plane + idx] = ((ch === 0 ? r : ch === 1 ? g : bl) - mean) * scale;
        }
      }
    }
  }
  return result;
}

/**
 * Source taps along one axis for an axis-aligned resample: for each output position, k pairs
 * of (first pixel index, weight of the next one); -1 marks a tap outside the source.
 */
export function axisTaps(size: number, scale: number, offset: number, srcSize: number, k: number): { index: Int32Array; frac: Float32Array } {
  const index = new Int32Array(size * k);
  const frac = new Float32Array(size * k);
  for (let o = 0; o < size; o++) {
    for (let t = 0; t < k; t++) {
      const pos = scale * (o + (t + 0.5) / k - 0.5) + offset;
      if (pos < -0.5 || pos > srcSize - 0.5) {
        index[o * k + t] = -1;
        continue;
      }
      // Clamp to the edge pixels within half a pixel of the border.
      const clamped = Math.min(Math.max(pos, 0), srcSize - 1);
      const i0 = Math.min(Math.floor(clamped), srcSize - 2 < 0 ? 0 : srcSize - 2);
      index[o * k + t] = i0;
      frac[o * k + t] = srcSize > 1 ? clamped - i0 : 0;
    }
  }
  return { index, frac };
}

/**
 * warpToTensor for scale-and-shift transforms, with the per-row and per-column work done once:
 * source offsets and the two bilinear weights of every column and row are computed up front,
 * and the single-tap colour case (the detector's letterbox, the liveness crop) has its own
 * loop. Every output value is the one the per-pixel form gave (geometry.test.ts checks it bit
 * for bit against testing/reference-resize.ts); on the detector's 320 x 240 input it takes
 * 1.1 ms instead of 1.75.
 */
function resizeToTensor(src: RgbImage, m: Affine, width: number, height: number, opts: WarpOptions, out?: Float32Array): Float32Array {
  const planes = opts.channels.length;
  const result = out ?? new Float32Array(planes * width * height);
  const { data, width: sw, height: sh } = src;
  const k = opts.antialias ? tapsFor(Math.max(Math.abs(m[0]), Math.abs(m[4]))) : 1;
  const cols = axisTaps(width, m[0], m[2], sw, k);
  const rows = axisTaps(height, m[4], m[5], sh, k);
  const inv = 1 / (k * k);
  const scale = 1 / opts.std;
  const mean = opts.mean;
  const border = opts.border;
  const grey = planes === 1 && opts.channels[0] === -1;
  const plane = width * height;
  const stride = sw * 3;
  const next = sw > 1 ? 3 : 0;
  const down = sh > 1 ? stride : 0;
  // Where each of R, G, B goes in the output, or -1 when that channel is not written.
  const dest = [-1, -1, -1];
  if (!grey) opts.channels.forEach((ch, p) => (dest[ch] = p * plane));
  const d0 = dest[0], d1 = dest[1], d2 = dest[2];
  // Per tap: byte offset of the first source pixel (-1 outside), and the weights 1 - f and f.
  const colAt = new Int32Array(width * k), colW0 = new Float64Array(width * k), colW1 = new Float64Array(width * k);
  for (let i = 0; i < width * k; i++) {
    const x0 = cols.index[i];
    colAt[i] = x0 < 0 ? -1 : x0 * 3;
    colW0[i] = 1 - cols.frac[i];
    colW1[i] = cols.frac[i];
  }
  const rowAt = new Int32Array(height * k), rowW0 = new Float64Array(height * k), rowW1 = new Float64Array(height * k);
  for (let i = 0; i < height * k; i++) {
    const y0 = rows.index[i];
    rowAt[i] = y0 < 0 ? -1 : y0 * stride;
    rowW0[i] = 1 - rows.frac[i];
    rowW1[i] = rows.frac[i];
  }
  // An output pixel whose one tap falls outside the source.
  const borderRgb = (border * inv - mean) * scale;
  const put = (idx: number, r: number, g: number, b: number) => {
    if (grey) {
      result[idx] = ((0.299 * r + 0.587 * g + 0.114 * b) * inv - mean) * scale;
    } else {
      if (d0 >= 0) result[d0 + idx] = (r * inv - mean) * scale;
      if (d1 >= 0) result[d1 + idx] = (g * inv - mean) * scale;
      if (d2 >= 0) result[d2 + idx] = (b * inv - mean) * scale;
    }
  };
  // The common case (detector, liveness): one tap, all three channels.
  const oneTapRgb = k === 1 && !grey && d0 >= 0 && d1 >= 0 && d2 >= 0;
  // The detector's letterbox of a passport page looked at half size (625 x 440 into 320 x 240):
  // two taps a side. Its own loop sums the taps in the same order as the general one.
  const twoTapRgb = k === 2 && !grey && d0 >= 0 && d1 >= 0 && d2 >= 0;
  const sums = new Float64Array(3);
  for (let oy = 0; oy < height; oy++) {
    const rowStart = oy * width;
    if (oneTapRgb) {
      const at = rowAt[oy];
      const ay0 = rowW0[oy], ay1 = rowW1[oy];
      for (let ox = 0; ox < width; ox++) {
        const idx = rowStart + ox;
        const cx = colAt[ox];
        if (cx < 0 || at < 0) {
          result[d0 + idx] = borderRgb;
          result[d1 + idx] = borderRgb;
          result[d2 + idx] = borderRgb;
          continue;
        }
        const ax0 = colW0[ox], ax1 = colW1[ox];
        const w00 = ax0 * ay0, w10 = ax1 * ay0, w01 = ax0 * ay1, w11 = ax1 * ay1;
        const i00 = at + cx;
        const i10 = i00 + next, i01 = i00 + down, i11 = i01 + next;
        result[d0 + idx] = ((data[i00] * w00 + data[i10] * w10 + data[i01] * w01 + data[i11] * w11) * inv - mean) * scale;
        result[d1 + idx] = ((data[i00 + 1] * w00 + data[i10 + 1] * w10 + data[i01 + 1] * w01 + data[i11 + 1] * w11) * inv - mean) * scale;
        result[d2 + idx] = ((data[i00 + 2] * w00 + data[i10 + 2] * w10 + data[i01 + 2] * w01 + data[i11 + 2] * w11) * inv - mean) * scale;
      }
      continue;
    }
    if (twoTapRgb && rowAt[2 * oy] >= 0 && rowAt[2 * oy + 1] >= 0) {
      const atA = rowAt[2 * oy], atB = rowAt[2 * oy + 1];
      const ayA0 = rowW0[2 * oy], ayA1 = rowW1[2 * oy], ayB0 = rowW0[2 * oy + 1], ayB1 = rowW1[2 * oy + 1];
      for (let ox = 0; ox < width; ox++) {
        const cxA = colAt[2 * ox], cxB = colAt[2 * ox + 1];
        if (cxA < 0 || cxB < 0) {
          tapsWithBorder(ox, oy);
          put(rowStart + ox, sums[0], sums[1], sums[2]);
          continue;
        }
        const axA0 = colW0[2 * ox], axA1 = colW1[2 * ox], axB0 = colW0[2 * ox + 1], axB1 = colW1[2 * ox + 1];
        let r = 0, g = 0, b = 0;
        // Tap (row A, column A), (A, B), (B, A), (B, B): the general loop's order.
        for (let ty = 0; ty < 2; ty++) {
          const at = ty === 0 ? atA : atB, ay0 = ty === 0 ? ayA0 : ayB0, ay1 = ty === 0 ? ayA1 : ayB1;
          for (let tx = 0; tx < 2; tx++) {
            const ax0 = tx === 0 ? axA0 : axB0, ax1 = tx === 0 ? axA1 : axB1;
            const w00 = ax0 * ay0, w10 = ax1 * ay0, w01 = ax0 * ay1, w11 = ax1 * ay1;
            const i00 = at + (tx === 0 ? cxA : cxB), i10 = i00 + next, i01 = i00 + down, i11 = i01 + next;
            r += data[i00] * w00 + data[i10] * w10 + data[i01] * w01 + data[i11] * w11;
            g += data[i00 + 1] * w00 + data[i10 + 1] * w10 + data[i01 + 1] * w01 + data[i11 + 1] * w11;
            b += data[i00 + 2] * w00 + data[i10 + 2] * w10 + data[i01 + 2] * w01 + data[i11 + 2] * w11;
          }
        }
        const idx = rowStart + ox;
        result[d0 + idx] = (r * inv - mean) * scale;
        result[d1 + idx] = (g * inv - mean) * scale;
        result[d2 + idx] = (b * inv - mean) * scale;
      }
      continue;
    }
    for (let ox = 0; ox < width; ox++) {
      tapsWithBorder(ox, oy);
      put(rowStart + ox, sums[0], sums[1], sums[2]);
    }
  }
  return result;

  /** Into `sums`, R, G and B summed over output pixel (ox, oy)'s k x k taps, a tap outside the source counting as `border`. */
  function tapsWithBorder(ox: number, oy: number): void {
    let r = 0, g = 0, b = 0;
    for (let ty = 0; ty < k; ty++) {
      const at = rowAt[oy * k + ty];
      const ay0 = rowW0[oy * k + ty], ay1 = rowW1[oy * k + ty];
      for (let tx = 0; tx < k; tx++) {
        const cx = colAt[ox * k + tx];
        if (cx < 0 || at < 0) {
          r += border; g += border; b += border;
          continue;
        }
        const ax0 = colW0[ox * k + tx], ax1 = colW1[ox * k + tx];
        const w00 = ax0 * ay0, w10 = ax1 * ay0, w01 = ax0 * ay1, w11 = ax1 * ay1;
        const i00 = at + cx;
        const i10 = i00 + next, i01 = i00 + down, i11 = i01 + next;
        r += data[i00] * w00 + data[i10] * w10 + data[i01] * w01 + data[i11] * w11;
        g += data[i00 + 1] * w00 + data[i10 + 1] * w10 + data[i01 + 1] * w01 + data[i11 + 1] * w11;
        b += data[i00 + 2] * w00 + data[i10 + 2] * w10 + data[i01 + 2] * w01 + data[i11 + 2] * w11;
      }
    }
    sums[0] = r;
    sums[1] = g;
    sums[2] = b;
  }
}

/** The affine taking output pixels of a `width` x `height` crop to the source square `box`. */
export function cropAffine(box: Box, width: number, height: number): Affine {
  const sx = (box.x2 - box.x1) / width;
  const sy = (box.y2 - box.y1) / height;
  // Pixel centres: output pixel i covers source [x1 + i*sx, x1 + (i+1)*sx).
  return [sx, 0, box.x1 + 0.5 * sx - 0.5, 0, sy, box.y1 + 0.5 * sy - 0.5];
}
