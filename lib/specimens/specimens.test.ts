import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Camera } from "./camera";
import { placeDocument, randomCamera } from "./camera";
import type { Capture } from "./captures";
import { captureDigital, captureGenuine, FILL, MAX_ROLL, MAX_TILT } from "./captures";
import type { DocumentRaster } from "./document";
import { renderDocument } from "./document";
import { generateSpecimens, LABELS_HEADER } from "./generate";
import type { Point, Quad } from "./geometry";
import { pointInQuad, quadArea } from "./geometry";
import { mrzChecksHold } from "./mrz";
import { capturePrint } from "./print";
import { Rng } from "./rng";
import { captureScreen } from "./screen";

/** Smaller frames than the generator's keep these tests quick; the physics is the same. */
const SMALL: Partial<Camera> = { width: 1280, height: 720, jpegQuality: 92, motion: { length: 0, angle: 0 } };

async function grey(image: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(image).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** The document with its top-left fifth (of width and height) inverted: a mark only that corner carries. */
function markTopLeft(doc: DocumentRaster): DocumentRaster {
  const data = Buffer.from(doc.data);
  for (let y = 0; y < Math.round(doc.height / 5); y++) {
    for (let x = 0; x < Math.round(doc.width / 5); x++) {
      const i = (y * doc.width + x) * 3;
      for (let c = 0; c < 3; c++) data[i + c] = 255 - data[i + c];
    }
  }
  return { ...doc, data };
}

/**
 * Where two captures of the same scene differ (by more than JPEG noise): the share of that
 * difference inside the labelled quad, and the labelled corner nearest to its centroid.
 */
async function whereTheyDiffer(a: Capture, b: Capture): Promise<{ inside: number; pixels: number; nearest: number }> {
  const [ga, gb] = await Promise.all([grey(a.image), grey(b.image)]);
  let total = 0;
  let inside = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < ga.height; y++) {
    for (let x = 0; x < ga.width; x++) {
      const i = y * ga.width + x;
      if (Math.abs(ga.data[i] - gb.data[i]) < 30) continue;
      total++;
      sx += x + 0.5;
      sy += y + 0.5;
      // A pixel counts as inside when within 3 px of the quad (JPEG blocks and the lens blur edges).
      if ([[0, 0], [3, 0], [-3, 0], [0, 3], [0, -3]].some(([dx, dy]) => pointInQuad(a.corners, [x + 0.5 + dx, y + 0.5 + dy]))) inside++;
    }
  }
  const centroid: Point = [sx / total, sy / total];
  const distances = a.corners.map(([cx, cy]) => Math.hypot(cx - centroid[0], cy - centroid[1]));
  return { inside: inside / total, pixels: total, nearest: distances.indexOf(Math.min(...distances)) };
}

/** Largest power-of-two square (64-256) centred in the quad and inside it, as top-left x, y and size. */
function innerSquare(q: Quad): { x: number; y: number; n: number } {
  const cx = q.reduce((s, p) => s + p[0], 0) / 4;
  const cy = q.reduce((s, p) => s + p[1], 0) / 4;
  for (const n of [256, 128, 64]) {
    const h = n / 2;
    if ([[-h, -h], [h, -h], [h, h], [-h, h]].every(([dx, dy]) => pointInQuad(q, [cx + dx, cy + dy]))) return { x: Math.round(cx - h), y: Math.round(cy - h), n };
  }
  throw new Error("document too small for a spectrum");
}

/** In-place radix-2 FFT. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const step = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(step * k);
        const wi = Math.sin(step * k);
        const a = i + k;
        const b = a + len / 2;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
}

/**
 * Spectral peakiness of the document area: the strongest 2-D Fourier magnitude at periods of
 * 2-10 px (|f| >= n/10) over the median magnitude there, on a Hann-windowed grey crop. Noise
 * and smooth shading give a few units; a periodic structure (an aliased pixel grid, a halftone
 * screen) gives one frequency far above the rest.
 */
async function spectralPeak(capture: Capture): Promise<number> {
  const g = await grey(capture.image);
  const { x: x0, y: y0, n } = innerSquare(capture.corners);
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  let mean = 0;
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) mean += g.data[(y0 + y) * g.width + x0 + x];
  mean /= n * n;
  const hann = (i: number) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) re[y * n + x] = (g.data[(y0 + y) * g.width + x0 + x] - mean) * hann(x) * hann(y);
  const lineRe = new Float64Array(n);
  const lineIm = new Float64Array(n);
  for (const rows of [true, false]) {
    for (let k = 0; k < n; k++) {
      for (let t = 0; t < n; t++) {
        const i = rows ? k * n + t : t * n + k;
        lineRe[t] = re[i];
        lineIm[t] = im[i];
      }
      fft(lineRe, lineIm);
      for (let t = 0; t < n; t++) {
        const i = rows ? k * n + t : t * n + k;
        re[i] = lineRe[t];
        im[i] = lineIm[t];
      }
    }
  }
  const mags: number[] = [];
  for (let v = 0; v < n; v++) {
    for (let u = 0; u < n; u++) {
      const r = Math.hypot(u < n / 2 ? u : u - n, v < n / 2 ? v : v - n);
      if (r >= n / 10 && r <= n / 2) mags.push(Math.hypot(re[v * n + u], im[v * n + u]));
    }
  }
  mags.sort((a, b) => a - b);
  return mags[mags.length - 1] / mags[Math.floor(mags.length / 2)];
}

let id1: DocumentRaster;
let passport: DocumentRaster;

beforeAll(async () => {
  [id1, passport] = await Promise.all([renderDocument(new Rng(11), "id1"), renderDocument(new Rng(12), "passport")]);
});

describe("rendered documents", () => {
  it("are ID-1 and TD3 pages at 600 dpi with a valid MRZ of the right format", () => {
    expect([id1.width, id1.height]).toEqual([2022, 1276]);
    expect([passport.width, passport.height]).toEqual([2953, 2079]);
    expect(id1.mrz.map((l) => l.length)).toEqual([30, 30, 30]);
    expect(passport.mrz.map((l) => l.length)).toEqual([44, 44]);
    expect(mrzChecksHold(id1.mrz)).toBe(true);
    expect(mrzChecksHold(passport.mrz)).toBe(true);
    expect(passport.mrz[1].slice(0, 9)).toBe(passport.identity.documentNumber);
  });

  it("depend only on the seed", async () => {
    const again = await renderDocument(new Rng(11), "id1");
    expect(again.data.equals(id1.data)).toBe(true);
  });
});

describe("corners", () => {
  const cases = [
    ["genuine", (doc: DocumentRaster, seed: number) => captureGenuine(doc, new Rng(seed), { camera: SMALL })],
    ["screen", (doc: DocumentRaster, seed: number) => captureScreen(doc, new Rng(seed), { camera: SMALL })],
    ["print", (doc: DocumentRaster, seed: number) => capturePrint(doc, new Rng(seed), { camera: SMALL })],
    ["digital", (doc: DocumentRaster, seed: number) => captureDigital(doc, new Rng(seed))],
  ] as const;

  it.each(cases)("of a %s capture lie inside the image, clockwise, on the document, TL first", async (label, capture) => {
    // Both document kinds for genuine captures (a card, a booklet); one each for the others.
    const docs = label === "genuine" ? [id1, passport] : label === "print" ? [passport] : [id1];
    for (const [k, doc] of docs.entries()) {
      const seed = 21 + k;
      const plain = await capture(doc, seed);
      const marked = await capture(markTopLeft(doc), seed);
      expect(marked.corners).toEqual(plain.corners);
      for (const [x, y] of plain.corners) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(plain.width);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(plain.height);
      }
      expect(quadArea(plain.corners)).toBeGreaterThan(0);
      // Only the document's top-left corner differs between the two: the change must fall
      // inside the labelled quad, next to the corner labelled first.
      const diff = await whereTheyDiffer(plain, marked);
      expect(diff.pixels).toBeGreaterThan(200);
      expect(diff.inside).toBeGreaterThan(0.97);
      expect(diff.nearest).toBe(0);
    }
  });

  it("of a hand-held document fill 25-70% of the frame width, with a margin to the edges", () => {
    for (let seed = 0; seed < 200; seed++) {
      const camera = randomCamera(new Rng(seed, "camera"));
      const { corners } = placeDocument(new Rng(seed, "pose"), camera, { u0: 0, v0: 0, w: 85.6, h: 54 }, { fill: FILL, maxTilt: MAX_TILT, maxRoll: MAX_ROLL });
      const xs = corners.map((p) => p[0]);
      const ys = corners.map((p) => p[1]);
      const share = (Math.max(...xs) - Math.min(...xs)) / camera.width;
      expect(share).toBeGreaterThanOrEqual(0.25 - 1e-6);
      expect(share).toBeLessThanOrEqual(0.7 + 1e-6);
      expect(Math.min(...xs, ...ys)).toBeGreaterThan(0);
      expect(Math.max(...xs)).toBeLessThan(camera.width);
      expect(Math.max(...ys)).toBeLessThan(camera.height);
    }
  });
});

describe("moire", () => {
  // A uniform grey document: whatever periodic structure its captures show comes from the
  // medium and the camera, not from the guilloche or the text.
  const flat = () => ({ ...id1, data: Buffer.alloc(id1.data.length, 150) });

  it("appears when a screen's sub-pixel grid is photographed, not when the card is", async () => {
    const camera = { ...SMALL };
    const genuine = await spectralPeak(await captureGenuine(flat(), new Rng(41), { camera }));
    // A 160 ppi laptop: its pixel pitch lands near the sensor's, where the grid aliases most.
    const screen = await spectralPeak(await captureScreen(flat(), new Rng(41), { camera, display: { kind: "laptop", ppi: 160, widthMm: 300, heightMm: 190, bezelMm: 6, fillX: 0.7, fillY: 0.8 } }));
    expect(genuine).toBeLessThan(30);
    expect(screen).toBeGreaterThan(3 * genuine);
  });

  it("appears in a print's halftone screen", async () => {
    const genuine = await spectralPeak(await captureGenuine(flat(), new Rng(42), { camera: SMALL }));
    const print = await spectralPeak(await capturePrint(flat(), new Rng(42), { camera: SMALL, printer: { process: "laser-colour", dpi: 600, lpi: 106 } }));
    expect(print).toBeGreaterThan(3 * genuine);
  });
});

describe("generateSpecimens", () => {
  let dirA: string;
  let dirB: string;
  let dirC: string;

  beforeAll(async () => {
    [dirA, dirB, dirC] = await Promise.all([0, 1, 2].map(() => mkdtemp(join(tmpdir(), "vigil-specimens-test-"))));
    const quiet = () => undefined;
    // Concurrently: the pixel loops take turns, sharp's encoders overlap.
    await Promise.all([
      generateSpecimens({ outDir: dirA, seed: 5, count: 4, workers: 0, log: quiet }),
      generateSpecimens({ outDir: dirB, seed: 5, count: 4, workers: 0, log: quiet }),
      generateSpecimens({ outDir: dirC, seed: 6, count: 1, workers: 0, log: quiet }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([dirA, dirB, dirC].map((d) => rm(d, { recursive: true, force: true })));
  });

  it("writes byte-identical files for the same seed, different ones for another", async () => {
    const files = (await readdir(dirA)).sort();
    expect(files).toEqual((await readdir(dirB)).sort());
    for (const file of files) expect((await readFile(join(dirA, file))).equals(await readFile(join(dirB, file)))).toBe(true);
    const other = (await readdir(dirC)).filter((f) => f.endsWith(".jpg"));
    expect(other.length).toBeGreaterThan(0);
    for (const file of other) expect((await readFile(join(dirA, file))).equals(await readFile(join(dirC, file)))).toBe(false);
  });

  it("writes a well-formed labels.csv: one row per image, one image per label, corners in the frame", async () => {
    const lines = (await readFile(join(dirA, "labels.csv"), "utf8")).trimEnd().split("\n");
    expect(lines[0]).toBe(LABELS_HEADER);
    const rows = lines.slice(1).map((l) => l.split(","));
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => r[1])).toEqual(["genuine", "screen", "print", "digital"]);
    for (const [file, label, kind, ...xy] of rows) {
      expect(file).toMatch(new RegExp(`^\\d{6}_${label}\\.(jpg|png)$`));
      expect(["id1", "passport"]).toContain(kind);
      expect(xy).toHaveLength(8);
      const corners = [0, 2, 4, 6].map((i) => [Number(xy[i]), Number(xy[i + 1])] as Point) as Quad;
      const meta = await sharp(join(dirA, file)).metadata();
      expect(meta.format).toBe(file.endsWith(".png") ? "png" : "jpeg");
      expect(meta.exif).toBeUndefined();
      // The vendor's minimum: at least 1080 px on the short side.
      expect(Math.min(meta.width!, meta.height!)).toBeGreaterThanOrEqual(1080);
      for (const [x, y] of corners) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(meta.width!);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(meta.height!);
      }
      expect(quadArea(corners)).toBeGreaterThan(0);
    }
  });
});
