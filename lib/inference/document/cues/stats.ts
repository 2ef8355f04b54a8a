import type { Point } from "../../geometry";
import type { RgbImage } from "../../image";
import type { GreyImage } from "../locate";
import { WINDOW } from "./spectrum";

/** The q-quantile of a small sample. */
function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  // A typed array sorts numbers natively, several times faster than a comparator.
  const s = Float64Array.from(values).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
}

/**
 * Standard deviation of the image noise in grey levels: Immerkaer, "Fast noise variance
 * estimation" (CVIU 64(2), 1996), sigma = sqrt(pi/2) / 6 * mean |I * N| with N the
 * difference of two Laplacians, which cancels smooth content. Computed over the windows,
 * on pixels whose Sobel gradient is below `edgeLimit` only, so that print and edges do not
 * count as noise (the adaptive variant of the method).
 */
export function noiseSigma(grey: GreyImage, windows: Point[], edgeLimit = 24): { sigma: number; flatShare: number } {
  const { data, width } = grey;
  let sum = 0, count = 0, total = 0;
  for (const [x0, y0] of windows) {
    for (let y = y0 + 1; y < y0 + WINDOW - 1; y++) {
      for (let x = x0 + 1; x < x0 + WINDOW - 1; x++) {
        const i = y * width + x;
        const a = data[i - width - 1], b = data[i - width], c = data[i - width + 1];
        const d = data[i - 1], e = data[i], f = data[i + 1];
        const g = data[i + width - 1], h = data[i + width], k = data[i + width + 1];
        total++;
        const gx = c + 2 * f + k - a - 2 * d - g;
        const gy = g + 2 * h + k - a - 2 * b - c;
        if (Math.abs(gx) + Math.abs(gy) > edgeLimit) continue;
        sum += Math.abs(a - 2 * b + c - 2 * d + 4 * e - 2 * f + g - 2 * h + k);
        count++;
      }
    }
  }
  return { sigma: count > 0 ? (Math.sqrt(Math.PI / 2) / 6) * (sum / count) : 0, flatShare: total > 0 ? count / total : 0 };
}

/**
 * The camera's noise floor: the 10th percentile of the standard deviation of 8 x 8 blocks
 * over the windows, in grey levels. A photograph has no perfectly flat block (shot and read
 * noise survive demosaicing, denoising and JPEG at 0.5-2 levels); a digital original's
 * plain areas are exactly flat.
 */
export function noiseFloor(grey: GreyImage, windows: Point[]): number {
  const { data, width } = grey;
  const stds: number[] = [];
  for (const [x0, y0] of windows) {
    for (let by = y0; by + 8 <= y0 + WINDOW; by += 8) {
      for (let bx = x0; bx + 8 <= x0 + WINDOW; bx += 8) {
        let sum = 0, sq = 0;
        for (let y = by; y < by + 8; y++) {
          for (let x = bx; x < bx + 8; x++) {
            const v = data[y * width + x];
            sum += v;
            sq += v * v;
          }
        }
        stds.push(Math.sqrt(Math.max(0, sq / 64 - (sum / 64) ** 2)));
      }
    }
  }
  return quantile(stds, 0.1);
}

export interface ColourStats {
  /** Hasler and Suesstrunk's colourfulness M (2003): ~0 grey, ~15 slightly, >40 quite colourful. */
  colourfulness: number;
  /**
   * The same over blocks of a twentieth of the document's height (2.7 mm on an ID-1 card):
   * the colours of the document's design, with a print's dots and the false colours their
   * moire leaves on a Bayer sensor averaged out.
   */
  coarseColourfulness: number;
  /** 95th percentile of chroma (|Cb, Cr| in grey levels) after removing the document's median colour cast. */
  chromaP95: number;
  /** Share of pixels at luma >= 235 (specular highlights, glare, or blank paper). */
  brightShare: number;
  /** 2nd and 98th percentile of luma: the print's dynamic range. */
  lumaP2: number;
  lumaP98: number;
}

/** Hasler and Suesstrunk's M from sums of rg, rg^2, yb, yb^2 over n samples. */
function hasler(srg: number, srg2: number, syb: number, syb2: number, n: number): number {
  const mrg = srg / n, myb = syb / n;
  return Math.sqrt(Math.max(0, srg2 / n - mrg * mrg) + Math.max(0, syb2 / n - myb * myb)) + 0.3 * Math.hypot(mrg, myb);
}

/**
 * Colour statistics of the rectified document (every second pixel): Hasler and Suesstrunk,
 * "Measuring colourfulness in natural images" (SPIE 5007, 2003), M = sigma_rgyb + 0.3 mu_rgyb
 * over rg = R - G and yb = (R + G) / 2 - B, on pixels and on block means; and the spread of
 * BT.601 chroma about its median.
 */
export function colourStats(doc: RgbImage): ColourStats {
  const { data, width, height } = doc;
  const block = Math.max(2, Math.round(height / 20));
  const bw = Math.ceil(width / block), bh = Math.ceil(height / block);
  const blockSums = new Float64Array(bw * bh * 4);
  const blockOfX = new Int32Array(width);
  for (let x = 0; x < width; x++) blockOfX[x] = Math.floor(x / block) * 4;
  let srg = 0, srg2 = 0, syb = 0, syb2 = 0, n = 0, bright = 0;
  // Histograms in half grey levels: quantiles without sorting 160 000 values.
  const lumaHist = new Uint32Array(512), cbHist = new Uint32Array(512), crHist = new Uint32Array(512), chromaHist = new Uint32Array(512);
  const bin = (v: number) => Math.min(511, Math.max(0, Math.round(v * 2)));
  for (let y = 2; y < height - 2; y += 2) {
    const row = Math.floor(y / block) * bw * 4;
    for (let x = 2; x < width - 2; x += 2) {
      const i = (y * width + x) * 3;
      const r = data[i], g = data[i + 1], b = data[i + 2];
      const rg = r - g, yb = (r + g) / 2 - b;
      srg += rg; srg2 += rg * rg; syb += yb; syb2 += yb * yb; n++;
      const k = row + blockOfX[x];
      blockSums[k] += r; blockSums[k + 1] += g; blockSums[k + 2] += b; blockSums[k + 3]++;
      const luma = 0.299 * r + 0.587 * g + 0.114 * b;
      if (luma >= 235) bright++;
      lumaHist[bin(luma)]++;
      cbHist[bin(128 - 0.169 * r - 0.331 * g + 0.5 * b)]++;
      crHist[bin(128 + 0.5 * r - 0.419 * g - 0.081 * b)]++;
    }
  }
  if (n === 0) return { colourfulness: 0, coarseColourfulness: 0, chromaP95: 0, brightShare: 0, lumaP2: 0, lumaP98: 0 };
  const quantileOf = (hist: Uint32Array, q: number) => {
    const target = q * n;
    let acc = 0;
    for (let k = 0; k < hist.length; k++) {
      acc += hist[k];
      if (acc >= target) return k / 2;
    }
    return (hist.length - 1) / 2;
  };
  const mcb = quantileOf(cbHist, 0.5) - 128, mcr = quantileOf(crHist, 0.5) - 128;
  for (let y = 2; y < height - 2; y += 2) {
    for (let x = 2; x < width - 2; x += 2) {
      const i = (y * width + x) * 3;
      const r = data[i], g = data[i + 1], b = data[i + 2];
      const cb = -0.169 * r - 0.331 * g + 0.5 * b - mcb, cr = 0.5 * r - 0.419 * g - 0.081 * b - mcr;
      chromaHist[bin(Math.sqrt(cb * cb + cr * cr))]++;
    }
  }
  // Blocks cut by the document's edge count when at least half full.
  let brg = 0, brg2 = 0, byb = 0, byb2 = 0, blocks = 0;
  const full = ((block + 1) >> 1) ** 2;
  for (let k = 0; k < blockSums.length; k += 4) {
    const m = blockSums[k + 3];
    if (m < full / 2) continue;
    const r = blockSums[k] / m, g = blockSums[k + 1] / m, b = blockSums[k + 2] / m;
    const rg = r - g, yb = (r + g) / 2 - b;
    brg += rg; brg2 += rg * rg; byb += yb; byb2 += yb * yb; blocks++;
  }
  return {
    colourfulness: hasler(srg, srg2, syb, syb2, n),
    coarseColourfulness: blocks > 0 ? hasler(brg, brg2, byb, byb2, blocks) : 0,
    chromaP95: quantileOf(chromaHist, 0.95),
    brightShare: bright / n,
    lumaP2: quantileOf(lumaHist, 0.02),
    lumaP98: quantileOf(lumaHist, 0.98),
  };
}

export interface MarginStats {
  samples: number;
  /** Median luma and chroma of the band around the document. */
  luma: number;
  chroma: number;
  /** Median absolute difference between neighbouring samples: how textured the surroundings are. */
  texture: number;
  /** Share of samples that look like blank paper: bright, grey, flat. */
  paperShare: number;
  /** Share of samples that are dark and flat: a screen's bezel or a switched-off border. */
  darkFlatShare: number;
  /** Share of samples that are grey and flat at any brightness: a screen's viewer around the document, paper. */
  greyFlatShare: number;
}

/**
 * Statistics of the band around the document (points from `marginSamples`). A sample's
 * texture is its luma difference to the pixels 3 px right and below.
 */
export function marginStats(rgb: RgbImage, points: Point[]): MarginStats {
  const { data, width, height } = rgb;
  const lumaAt = (x: number, y: number) => {
    const i = (Math.min(height - 1, y) * width + Math.min(width - 1, x)) * 3;
    return 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
  };
  const lumas: number[] = [], chromas: number[] = [], textures: number[] = [];
  let paper = 0, dark = 0, greyFlat = 0;
  for (const [x, y] of points) {
    const i = (y * width + x) * 3;
    const r = data[i], g = data[i + 1], b = data[i + 2];
    const luma = 0.299 * r + 0.587 * g + 0.114 * b;
    const cb = -0.169 * r - 0.331 * g + 0.5 * b, cr = 0.5 * r - 0.419 * g - 0.081 * b;
    const chroma = Math.sqrt(cb * cb + cr * cr);
    const texture = Math.max(Math.abs(lumaAt(x + 3, y) - luma), Math.abs(lumaAt(x, y + 3) - luma));
    lumas.push(luma); chromas.push(chroma); textures.push(texture);
    if (luma >= 170 && chroma <= 14 && texture <= 6) paper++;
    if (luma <= 45 && texture <= 6) dark++;
    if (chroma <= 5 && texture <= 2) greyFlat++;
  }
  const n = Math.max(1, points.length);
  return {
    samples: points.length,
    luma: quantile(lumas, 0.5),
    chroma: quantile(chromas, 0.5),
    texture: quantile(textures, 0.5),
    paperShare: paper / n,
    darkFlatShare: dark / n,
    greyFlatShare: greyFlat / n,
  };
}

/**
 * How unevenly the document is lit: the relative change of its paper white (the 92nd
 * percentile of luma in each of 8 x 5 cells of the rectified document) over one document
 * width, from a plane fitted to the cells (three rounds, cells off the plane by more than 6%
 * left out: a dark header band or the portrait is no paper white). A card on a desk is lit
 * from one side; a screen emits its own even light.
 */
export function illuminationGradient(doc: RgbImage): number {
  const { data, width, height } = doc;
  const cols = 8, rows = 5;
  const cells: Array<{ u: number; v: number; white: number }> = [];
  const hist = new Uint32Array(256);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      hist.fill(0);
      const x0 = Math.floor((c * width) / cols), x1 = Math.floor(((c + 1) * width) / cols);
      const y0 = Math.floor((r * height) / rows), y1 = Math.floor(((r + 1) * height) / rows);
      let n = 0;
      for (let y = y0; y < y1; y += 2) {
        for (let x = x0; x < x1; x += 2) {
          const i = (y * width + x) * 3;
          hist[(data[i] * 77 + data[i + 1] * 150 + data[i + 2] * 29) >> 8]++;
          n++;
        }
      }
      let acc = 0, k = 0;
      for (; k < 255; k++) if ((acc += hist[k]) >= 0.92 * n) break;
      cells.push({ u: (c + 0.5) / cols - 0.5, v: (r + 0.5) / rows - 0.5, white: k });
    }
  }
  let kept = cells.filter((c) => c.white > 40);
  let a = 0, b = 0, g = 0;
  for (let round = 0; round < 3 && kept.length >= 6; round++) {
    // Least squares for white = a + b u + g v; u and v are centred, so the normal equations decouple.
    const n = kept.length;
    const mu = kept.reduce((s, c) => s + c.u, 0) / n, mv = kept.reduce((s, c) => s + c.v, 0) / n, mw = kept.reduce((s, c) => s + c.white, 0) / n;
    let suu = 0, svv = 0, suv = 0, suw = 0, svw = 0;
    for (const c of kept) {
      const du = c.u - mu, dv = c.v - mv, dw = c.white - mw;
      suu += du * du; svv += dv * dv; suv += du * dv; suw += du * dw; svw += dv * dw;
    }
    const det = suu * svv - suv * suv;
    if (Math.abs(det) < 1e-9) break;
    b = (suw * svv - svw * suv) / det;
    g = (svw * suu - suw * suv) / det;
    a = mw - b * mu - g * mv;
    const next = cells.filter((c) => c.white > 40 && Math.abs(c.white - (a + b * c.u + g * c.v)) <= 0.06 * Math.max(1, a));
    if (next.length === kept.length) break;
    kept = next;
  }
  if (a <= 0) return 0;
  // Per unit of document width: v spans height / width of it.
  return Math.hypot(b, (g * width) / height) / a;
}

/**
 * Share of the points whose luma and chroma are within 4 grey levels of the points' median:
 * how much of a thin band right around the document is one flat colour. A screen's viewer
 * background (or its bezel) is; a desk's texture or a defocused room is not.
 */
export function uniformShare(rgb: RgbImage, points: Point[]): number {
  return uniformRing(rgb, points).share;
}

/** uniformShare, and the points' median luma. */
export function uniformRing(rgb: RgbImage, points: Point[]): { share: number; luma: number } {
  if (points.length === 0) return { share: 0, luma: 0 };
  const { data, width } = rgb;
  const lumas: number[] = [], cbs: number[] = [], crs: number[] = [];
  for (const [x, y] of points) {
    const i = (y * width + x) * 3;
    const r = data[i], g = data[i + 1], b = data[i + 2];
    lumas.push(0.299 * r + 0.587 * g + 0.114 * b);
    cbs.push(-0.169 * r - 0.331 * g + 0.5 * b);
    crs.push(0.5 * r - 0.419 * g - 0.081 * b);
  }
  const ml = quantile(lumas, 0.5), mb = quantile(cbs, 0.5), mr = quantile(crs, 0.5);
  let n = 0;
  for (let k = 0; k < lumas.length; k++) if (Math.abs(lumas[k] - ml) <= 4 && Math.abs(cbs[k] - mb) <= 4 && Math.abs(crs[k] - mr) <= 4) n++;
  return { share: n / lumas.length, luma: ml };
}
