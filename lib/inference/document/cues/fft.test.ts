import { describe, expect, it } from "vitest";
import { fft2d, fft2dReal } from "./fft";

/*
 * The plain FFT the optimised one replaced, kept as the reference it must match bit for bit:
 * one radix-2 transform per row, then one per column at stride n.
 */
function referenceFft1d(re: Float64Array, im: Float64Array, n: number, offset: number, stride: number): void {
  const cos = new Float64Array(n / 2), sin = new Float64Array(n / 2);
  for (let i = 0; i < n / 2; i++) {
    cos[i] = Math.cos((-2 * Math.PI * i) / n);
    sin[i] = Math.sin((-2 * Math.PI * i) / n);
  }
  const bits = Math.log2(n);
  for (let i = 0; i < n; i++) {
    let j = 0;
    for (let b = 0; b < bits; b++) j |= ((i >> b) & 1) << (bits - 1 - b);
    if (j > i) {
      const a = offset + i * stride, b = offset + j * stride;
      let t = re[a]; re[a] = re[b]; re[b] = t;
      t = im[a]; im[a] = im[b]; im[b] = t;
    }
  }
  for (let start = 0; start < n; start += 2) {
    const a = offset + start * stride, b = a + stride;
    const xr = re[b], xi = im[b];
    re[b] = re[a] - xr; im[b] = im[a] - xi;
    re[a] += xr; im[a] += xi;
  }
  for (let size = 4; size <= n; size <<= 1) {
    const half = size >> 1, step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step], wi = sin[k * step];
        const a = offset + (start + k) * stride, b = a + half * stride;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr; im[b] = im[a] - xi;
        re[a] += xr; im[a] += xi;
      }
    }
  }
}

function referenceFft2d(re: Float64Array, im: Float64Array, n: number): void {
  for (let y = 0; y < n; y++) referenceFft1d(re, im, n, y * n, 1);
  for (let x = 0; x < n; x++) referenceFft1d(re, im, n, x, n);
}

function referenceFft2dReal(re: Float64Array, im: Float64Array, n: number): void {
  for (let y = 0; y < n; y += 2) {
    const a = y * n, b = a + n;
    for (let x = 0; x < n; x++) im[a + x] = re[b + x];
    referenceFft1d(re, im, n, a, 1);
    for (let k = 0; k <= n / 2; k++) {
      const j = (n - k) % n;
      const zr = re[a + k], zi = im[a + k], wr = re[a + j], wi = im[a + j];
      re[b + k] = (zi + wi) / 2; im[b + k] = (wr - zr) / 2;
      re[a + k] = (zr + wr) / 2; im[a + k] = (zi - wi) / 2;
    }
  }
  for (let x = 0; x <= n / 2; x++) referenceFft1d(re, im, n, x, n);
  for (let y = 0; y < n; y++) {
    const my = ((n - y) % n) * n;
    for (let x = n / 2 + 1; x < n; x++) {
      re[y * n + x] = re[my + n - x];
      im[y * n + x] = -im[my + n - x];
    }
  }
}

/** mulberry32, uniform in [0, 1). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Index of the first value that differs (Object.is: -0 and +0 differ, NaN equals NaN), or -1. */
function firstDifference(a: Float64Array, b: Float64Array): number {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

const sizes = [2, 4, 8, 16, 32, 64, 128];

/**
 * Planes the spectra see: windowed pixels (any double), whole numbers, a flat window (the
 * mean removed leaves zeros, whose signs the butterflies must carry the same way), zeros
 * of either sign, and sparse planes.
 */
function planes(n: number, seed: number): Array<[string, Float64Array]> {
  const r = random(seed);
  return [
    ["doubles", Float64Array.from({ length: n * n }, () => (r() - 0.5) * 255)],
    ["integers", Float64Array.from({ length: n * n }, () => Math.floor(r() * 256) - 128)],
    ["zeros", new Float64Array(n * n)],
    ...Array.from({ length: 10 }, (_, k): [string, Float64Array] => [`signed zeros ${k}`, Float64Array.from({ length: n * n }, () => (r() < 0.5 ? 0 : -0))]),
    ...Array.from({ length: 10 }, (_, k): [string, Float64Array] => {
      const signs = Float64Array.from({ length: n }, () => (r() < 0.5 ? 0 : -0));
      return [`signed zero rows ${k}`, Float64Array.from({ length: n * n }, (_, i) => signs[Math.floor(i / n)])];
    }),
    ["sparse", Float64Array.from({ length: n * n }, () => (r() < 0.9 ? (r() < 0.5 ? 0 : -0) : r() * 1e6 - 5e5))],
  ];
}

describe("2-D FFT, against the plain row-then-column transform", () => {
  for (const n of sizes) {
    it(`fft2d is bit-identical on ${n} x ${n} planes`, () => {
      for (const [kind, plane] of planes(n, n)) {
        const imag = planes(n, n + 1000).find(([k]) => k === kind)![1];
        const re = plane.slice(), im = imag.slice(), refRe = plane.slice(), refIm = imag.slice();
        fft2d(re, im, n);
        referenceFft2d(refRe, refIm, n);
        expect(firstDifference(re, refRe), `${kind} re`).toBe(-1);
        expect(firstDifference(im, refIm), `${kind} im`).toBe(-1);
      }
    });

    it(`fft2dReal is bit-identical on ${n} x ${n} planes`, () => {
      for (const [kind, plane] of planes(n, 7 * n)) {
        const re = plane.slice(), im = new Float64Array(n * n).fill(99), refRe = plane.slice(), refIm = new Float64Array(n * n).fill(99);
        fft2dReal(re, im, n);
        referenceFft2dReal(refRe, refIm, n);
        expect(firstDifference(re, refRe), `${kind} re`).toBe(-1);
        expect(firstDifference(im, refIm), `${kind} im`).toBe(-1);
      }
    });
  }

  it("refuses a size that is not a power of two", () => {
    expect(() => fft2d(new Float64Array(36), new Float64Array(36), 6)).toThrow(/power of two/);
  });
});

describe("2-D FFT of a real plane", () => {
  it("gives the complex FFT's spectrum of the same plane with a zero imaginary part", () => {
    const n = 32;
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 255 - 128;
    const plane = Float64Array.from({ length: n * n }, random);
    const re = plane.slice(), im = new Float64Array(n * n);
    fft2d(re, im, n);
    // Whatever `im` held before is overwritten.
    const realRe = plane.slice(), realIm = new Float64Array(n * n).fill(99);
    fft2dReal(realRe, realIm, n);
    for (let i = 0; i < n * n; i++) {
      expect(realRe[i]).toBeCloseTo(re[i], 6);
      expect(realIm[i]).toBeCloseTo(im[i], 6);
    }
    // The DC bin is the plane's sum, and the spectrum is not trivially symmetric.
    expect(realRe[0]).toBeCloseTo(plane.reduce((a, b) => a + b, 0), 6);
    expect(Math.abs(realIm[1])).toBeGreaterThan(1);
  });
});
