import { describe, expect, it } from "vitest";
import type { Affine, Point } from "./geometry";
import { applyAffine, cropAffine, invertAffine, iou, nms, umeyama, warpToTensor } from "./geometry";
import { referenceResizeToTensor } from "./testing/reference-resize";

describe("umeyama", () => {
  it("recovers a known similarity transform exactly", () => {
    const angle = 0.3;
    const scale = 1.7;
    const truth: Affine = [scale * Math.cos(angle), -scale * Math.sin(angle), 12, scale * Math.sin(angle), scale * Math.cos(angle), -5];
    const src: Point[] = [[10, 10], [40, 12], [25, 30], [14, 45], [38, 44]];
    const dst = src.map((p) => applyAffine(truth, p));
    const fitted = umeyama(src, dst);
    fitted.forEach((v, i) => expect(v).toBeCloseTo(truth[i], 6));
  });

  it("gives the least-squares fit when points are noisy", () => {
    const src: Point[] = [[0, 0], [10, 0], [0, 10], [10, 10]];
    const dst: Point[] = [[1, 0], [11, 0], [0, 10], [10, 10]];
    const m = umeyama(src, dst);
    const residual = src.reduce((sum, p, i) => {
      const [x, y] = applyAffine(m, p);
      return sum + (x - dst[i][0]) ** 2 + (y - dst[i][1]) ** 2;
    }, 0);
    expect(residual).toBeLessThan(1.01);
  });

  it("inverts to the identity", () => {
    const m: Affine = [1.2, -0.4, 3, 0.4, 1.2, -7];
    const back = applyAffine(invertAffine(m), applyAffine(m, [5, 9]));
    expect(back[0]).toBeCloseTo(5, 9);
    expect(back[1]).toBeCloseTo(9, 9);
  });
});

describe("nms", () => {
  it("keeps the highest-scoring of overlapping boxes, whatever their order or edges", () => {
    const boxes = [
      { box: { x1: 0, y1: 0, x2: 10, y2: 10 }, score: 0.8 },
      { box: { x1: 1, y1: 1, x2: 11, y2: 11 }, score: 0.95 },
      { box: { x1: 50, y1: 50, x2: 60, y2: 60 }, score: 0.7 },
    ];
    const kept = nms(boxes, 0.4);
    expect(kept.map((k) => k.score)).toEqual([0.95, 0.7]);
    expect(iou(boxes[0].box, boxes[1].box)).toBeGreaterThan(0.6);
  });
});

describe("warpToTensor", () => {
  const image = { width: 4, height: 2, data: new Uint8Array([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200, 210, 220, 230, 240]) };

  it("copies pixels unchanged through the identity crop, in the asked channel order", () => {
    const out = warpToTensor(image, cropAffine({ x1: 0, y1: 0, x2: 4, y2: 2 }, 4, 2), 4, 2, { channels: [2, 1, 0], mean: 0, std: 1, border: 0, antialias: true });
    expect(Array.from(out.slice(0, 4))).toEqual([30, 60, 90, 120]);
    expect(Array.from(out.slice(16, 20))).toEqual([10, 40, 70, 100]);
  });

  it("averages the footprint when shrinking with anti-aliasing", () => {
    const out = warpToTensor(image, cropAffine({ x1: 0, y1: 0, x2: 4, y2: 2 }, 2, 1), 2, 1, { channels: [0], mean: 0, std: 1, border: 0, antialias: true });
    // Left output pixel covers the 2x2 block of R values 10, 40, 130, 160.
    expect(out[0]).toBeCloseTo((10 + 40 + 130 + 160) / 4, 4);
  });

  it("fills outside the source with the border value", () => {
    const out = warpToTensor(image, [1, 0, -10, 0, 1, 0], 2, 1, { channels: [0], mean: 0, std: 1, border: 127, antialias: false });
    expect(Array.from(out)).toEqual([127, 127]);
  });
});

describe("warpToTensor, scale and shift", () => {
  // A noisy 97 x 83 image, the same on every run.
  const width = 97, height = 83;
  const data = new Uint8Array(width * height * 3);
  let seed = 7;
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    data[i] = seed % 256;
  }
  const image = { width, height, data };

  it.each([
    // The detector's letterbox (grey border around a 0.8x shrink), padded retries, the
    // landmark crop (grey, anti-aliased), liveness (no anti-aliasing, BGR), enlargement,
    // 2-4 tap shrinks, and crops hanging over every edge.
    { m: [1.25, 0, -20.2, 0, 1.25, 3.1], w: 120, h: 60, opts: { channels: [0, 1, 2], mean: 127, std: 128, border: 127, antialias: true } },
    { m: [2.3, 0, -60, 0, 2.3, -40], w: 80, h: 60, opts: { channels: [0, 1, 2], mean: 127, std: 128, border: 127, antialias: true } },
    { m: [1.95, 0, -30.4, 0, 1.95, -12.7], w: 80, h: 60, opts: { channels: [0, 1, 2], mean: 127, std: 128, border: 127, antialias: true } },
    { m: [1.7, 0, 5.3, 0, 1.7, 2.2], w: 40, h: 40, opts: { channels: [-1], mean: 0, std: 256, border: 0, antialias: true } },
    { m: [0.61, 0, -3, 0, 0.61, 10.4], w: 64, h: 64, opts: { channels: [2, 1, 0], mean: 0, std: 1, border: 0, antialias: false } },
    { m: [3.6, 0, 70, 0, 3.9, 50], w: 30, h: 25, opts: { channels: [2, 1, 0], mean: 127, std: 128, border: 0, antialias: true } },
    { m: [1, 0, 0, 0, 1, 0], w: 97, h: 83, opts: { channels: [1], mean: 0, std: 1, border: 0, antialias: true } },
  ] as Array<{ m: Affine; w: number; h: number; opts: Parameters<typeof warpToTensor>[4] }>)("matches the per-pixel reference bit for bit ($w x $h, scale $m.0)", ({ m, w, h, opts }) => {
    const fast = warpToTensor(image, m, w, h, opts);
    const reference = referenceResizeToTensor(image, m, w, h, opts);
    expect(fast.length).toBe(reference.length);
    expect(Array.from(fast)).toEqual(Array.from(reference));
  });
});
