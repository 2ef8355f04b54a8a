import { describe, expect, it } from "vitest";
import { analyzeSpectra, WINDOW } from "./spectrum";

/** A 2-window-wide image filled by `pixel(x, y, channel)`, with a little noise. */
function image(pixel: (x: number, y: number, c: number) => number) {
  const width = WINDOW * 2, height = WINDOW * 2;
  const data = new Uint8Array(width * height * 3);
  // mulberry32: white noise (a plain LCG in doubles is itself periodic and shows as peaks).
  let seed = 7;
  const noise = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32 - 0.5) * 8;
  };
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, pixel(x, y, c) + noise()));
  return { data, width, height };
}

const windows: Array<[number, number]> = [[0, 0], [WINDOW, 0], [0, WINDOW], [WINDOW, WINDOW]];

describe("periodic patterns in the spectrum", () => {
  it("finds a display's sub-pixel stripes: a colour peak with R, G and B a third of a period apart", () => {
    // Vertical R, G, B stripes with a 5.3 px pitch, slightly rotated, as a screen seen by a camera.
    const stripes = image((x, y, c) => 128 + 70 * Math.cos(2 * Math.PI * ((x + 0.05 * y) / 5.3 - c / 3)));
    const { report } = analyzeSpectra(stripes, windows)!;
    expect(report.chroma.prominence).toBeGreaterThan(2);
    expect(report.chroma.frequency).toBeCloseTo(1 / 5.3, 1);
    expect(report.channelPhaseSpread).toBeGreaterThan(0.9);
    expect(report.chromaToLuma).toBeGreaterThan(0.5);
  });

  it("sees grey line art as in phase, and random texture as no peak", () => {
    const grey = image((x, y) => 128 + 70 * Math.cos(2 * Math.PI * (x / 6.1 + y / 9.7)));
    const lines = analyzeSpectra(grey, windows)!.report;
    expect(lines.luma.prominence).toBeGreaterThan(2);
    expect(lines.chroma.prominence).toBeLessThan(1.2);
    const flat = analyzeSpectra(image(() => 128), windows)!.report;
    expect(flat.luma.prominence).toBeLessThan(1.2);
    expect(flat.chroma.prominence).toBeLessThan(1.2);
  });
});
