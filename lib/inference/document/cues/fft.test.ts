import { describe, expect, it } from "vitest";
import { fft2d, fft2dReal } from "./fft";

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
