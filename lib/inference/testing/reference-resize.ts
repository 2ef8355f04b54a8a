/**
 * warpToTensor's scale-and-shift path as first written, one pixel at a time, kept as the
 * reference the faster implementation in geometry.ts must match bit for bit. It shares only
 * where the taps fall (tapsFor, axisTaps); how they are weighted and summed is its own.
 */
import { axisTaps, tapsFor } from "../geometry";
import type { Affine, WarpOptions } from "../geometry";
import type { RgbImage } from "../image";

export function referenceResizeToTensor(src: RgbImage, m: Affine, width: number, height: number, opts: WarpOptions, out?: Float32Array): Float32Array {
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
  for (let oy = 0; oy < height; oy++) {
    for (let ox = 0; ox < width; ox++) {
      let r = 0, g = 0, b = 0;
      for (let ty = 0; ty < k; ty++) {
        const y0 = rows.index[oy * k + ty];
        const fy = rows.frac[oy * k + ty];
        for (let tx = 0; tx < k; tx++) {
          const x0 = cols.index[ox * k + tx];
          if (x0 < 0 || y0 < 0) {
            r += border; g += border; b += border;
            continue;
          }
          const fx = cols.frac[ox * k + tx];
          const w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
          const i00 = y0 * stride + x0 * 3;
          const i10 = i00 + next, i01 = i00 + down, i11 = i01 + next;
          r += data[i00] * w00 + data[i10] * w10 + data[i01] * w01 + data[i11] * w11;
          g += data[i00 + 1] * w00 + data[i10 + 1] * w10 + data[i01 + 1] * w01 + data[i11 + 1] * w11;
          b += data[i00 + 2] * w00 + data[i10 + 2] * w10 + data[i01 + 2] * w01 + data[i11 + 2] * w11;
        }
      }
      const idx = oy * width + ox;
      if (grey) {
        result[idx] = ((0.299 * r + 0.587 * g + 0.114 * b) * inv - mean) * scale;
      } else {
        if (dest[0] >= 0) result[dest[0] + idx] = (r * inv - mean) * scale;
        if (dest[1] >= 0) result[dest[1] + idx] = (g * inv - mean) * scale;
        if (dest[2] >= 0) result[dest[2] + idx] = (b * inv - mean) * scale;
      }
    }
  }
  return result;
}
