import { describe, expect, it } from "vitest";
import type { RgbImage } from "../image";
import { descreen, portraitFits, stretchContrast } from "./portrait";

function image(width: number, height: number, rgb: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(rgb(x, y), (y * width + x) * 3);
  return { data, width, height };
}

function stats(img: RgbImage, x0: number, x1: number): { mean: number; sd: number } {
  let sum = 0, sq = 0, n = 0;
  for (let y = 10; y < img.height - 10; y++) {
    for (let x = x0; x < x1; x++) {
      const v = img.data[(y * img.width + x) * 3];
      sum += v; sq += v * v; n++;
    }
  }
  return { mean: sum / n, sd: Math.sqrt(sq / n - (sum / n) ** 2) };
}

describe("portrait search helpers", () => {
  it("descreens a halftone into its tone and keeps the edges of larger shapes", () => {
    // Left half: a 4 px magenta/green dot pattern (a colour print's dots and their false
    // colours), right half: black ink.
    const print = image(240, 160, (x, y) => (x >= 120 ? [10, 10, 10] : ((x >> 1) + (y >> 1)) % 2 ? [230, 40, 220] : [40, 220, 60]));
    const out = descreen(print, 3);
    const dots = stats(out, 20, 100), ink = stats(out, 140, 220);
    expect(dots.sd).toBeLessThan(3);
    expect(dots.mean - ink.mean).toBeGreaterThan(200);
    // Grey: R, G and B equal.
    const i = (80 * 240 + 50) * 3;
    expect(out.data[i]).toBe(out.data[i + 1]);
    expect(out.data[i + 1]).toBe(out.data[i + 2]);
  });

  it("stretches a washed-out portrait's contrast over the full range", () => {
    const pale = image(100, 100, (x) => [150 + Math.round((40 * x) / 99), 150 + Math.round((40 * x) / 99), 160 + Math.round((40 * x) / 99)]);
    const out = stretchContrast(pale);
    expect(out.data[(50 * 100 + 1) * 3]).toBeLessThan(10);
    expect(out.data[(50 * 100 + 98) * 3]).toBeGreaterThan(245);
  });

  it("takes a face as the portrait only where a document puts it", () => {
    // ID-1 at 1012 x 638: a 230 px face centred at 22% of the length, mid-height.
    expect(portraitFits({ x1: 120, y1: 200, x2: 330, y2: 430 }, 1012, 638)).toBe(true);
    // The same face turned to the other end (the document upside down) fits too; in the middle it does not.
    expect(portraitFits({ x1: 682, y1: 200, x2: 892, y2: 430 }, 1012, 638)).toBe(true);
    expect(portraitFits({ x1: 400, y1: 200, x2: 610, y2: 430 }, 1012, 638)).toBe(false);
    // A ghost image's small face is no portrait.
    expect(portraitFits({ x1: 840, y1: 300, x2: 900, y2: 370 }, 1012, 638)).toBe(false);
  });
});
