import type { Point } from "../../geometry";
import type { RgbImage } from "../../image";
import { fft2d, fft2dReal, hann2d } from "./fft";

/** Side of the square windows the spectra are taken on, in input pixels. */
export const WINDOW = 128;
/**
 * Lowest frequency searched for periodic peaks: 8 cycles per window (a period of 16 px).
 * Below it the spectrum is the document's own layout (text lines, fields, photo).
 */
const MIN_RADIUS = 8;
/** Bins left out next to the Nyquist frequency on each axis (0.47-0.5 cycles/px). */
const NYQUIST_GUARD = 4;

/** Scratch planes of one window's FFTs, reused: a thread measures one window at a time. */
const scratch = {
  zr: new Float64Array(WINDOW * WINDOW),
  zi: new Float64Array(WINDOW * WINDOW),
  br: new Float64Array(WINDOW * WINDOW),
  bi: new Float64Array(WINDOW * WINDOW),
  rr: new Float64Array(WINDOW * WINDOW),
  ri: new Float64Array(WINDOW * WINDOW),
  gr: new Float64Array(WINDOW * WINDOW),
  gi: new Float64Array(WINDOW * WINDOW),
};

/**
 * The R, G, B spectra of the WINDOW-sized square with top-left (x, y), mean removed,
 * Hann-windowed, into `scratch` (rr/ri, gr/gi, br/bi). R and G share one complex FFT (R + iG,
 * separated by conjugate symmetry) and B takes a real one (fft2dReal), which saves half the work.
 */
function spectrumAt(rgb: RgbImage, x0: number, y0: number): void {
  const n = WINDOW;
  const hann = hann2d(n);
  const { zr, zi, br, bi, rr, ri, gr, gi } = scratch;
  let mr = 0, mg = 0, mb = 0;
  for (let y = 0; y < n; y++) {
    let s = ((y0 + y) * rgb.width + x0) * 3;
    for (let x = 0; x < n; x++, s += 3) {
      const i = y * n + x;
      zr[i] = rgb.data[s]; zi[i] = rgb.data[s + 1]; br[i] = rgb.data[s + 2];
      mr += zr[i]; mg += zi[i]; mb += br[i];
    }
  }
  mr /= n * n; mg /= n * n; mb /= n * n;
  for (let i = 0; i < n * n; i++) {
    zr[i] = (zr[i] - mr) * hann[i];
    zi[i] = (zi[i] - mg) * hann[i];
    br[i] = (br[i] - mb) * hann[i];
  }
  fft2d(zr, zi, n);
  fft2dReal(br, bi, n);
  for (let ky = 0; ky < n; ky++) {
    const my = ((n - ky) % n) * n;
    for (let kx = 0; kx < n; kx++) {
      const i = ky * n + kx, j = my + ((n - kx) % n);
      const a = zr[i], b = zi[i], c = zr[j], d = zi[j];
      rr[i] = (a + c) / 2; ri[i] = (b - d) / 2;
      gr[i] = (b + d) / 2; gi[i] = (c - a) / 2;
    }
  }
}

/** Frequency index of bin (kx, ky) in the full n x n spectrum. */
function binIndex(kx: number, ky: number): number {
  const n = WINDOW;
  return ((ky + n) % n) * n + ((kx + n) % n);
}

/**
 * The bins searched for periodic peaks: the upper half plane (the spectrum of a real signal
 * is symmetric) from MIN_RADIUS out, less the frequencies every JPEG has on its axes: the
 * 8 px block grid (multiples of 1/8 cycle/px) and the 16 px chroma blocks of 4:2:0
 * subsampling (multiples of 1/16), and a band along the Nyquist row and column, where
 * bilinear demosaicing of the RGGB mosaic leaves colour artefacts (period 2 px).
 */
const searchBins = (() => {
  const n = WINDOW;
  const kxs: number[] = [], kys: number[] = [], index: number[] = [], ring: number[] = [];
  const onJpegGrid = (k: number) => Math.abs(k) % (n / 16) === 0;
  for (let ky = 0; ky <= n / 2; ky++) {
    for (let kx = -n / 2 + 1; kx <= n / 2; kx++) {
      if (ky === 0 && kx < 0) continue;
      const r = Math.hypot(kx, ky);
      if (r < MIN_RADIUS) continue;
      // Near Nyquist on either axis a Bayer sensor's demosaicing leaves colour artefacts of its own.
      if (ky >= n / 2 - NYQUIST_GUARD || kx >= n / 2 - NYQUIST_GUARD || kx <= -n / 2 + NYQUIST_GUARD) continue;
      if ((ky === 0 && onJpegGrid(kx)) || (kx === 0 && onJpegGrid(ky))) continue;
      kxs.push(kx); kys.push(ky); index.push(binIndex(kx, ky)); ring.push(Math.round(r));
    }
  }
  return { kx: Int16Array.from(kxs), ky: Int16Array.from(kys), index: Int32Array.from(index), ring: Int16Array.from(ring), rings: Math.max(...ring) + 1 };
})();

/** Per bin of the full spectrum: 0 below 0.06 cycles/px, 1 from 0.06, 2 from 0.3 (for the fine-scale share). */
const scaleBand = (() => {
  const n = WINDOW;
  const band = new Uint8Array(n * n);
  for (let ky = 0; ky < n; ky++) {
    for (let kx = 0; kx < n; kx++) {
      const f = Math.hypot(kx > n / 2 ? kx - n : kx, ky > n / 2 ? ky - n : ky) / n;
      band[ky * n + kx] = f > 0.3 ? 2 : f > 0.06 ? 1 : 0;
    }
  }
  return band;
})();

/** Position of a bin in `searchBins`, or -1. */
const searchPosition = (() => {
  const map = new Int32Array(WINDOW * WINDOW).fill(-1);
  searchBins.index.forEach((i, p) => (map[i] = p));
  return map;
})();

export interface PeakReport {
  /** log10 of how far the strongest periodic component stands above the spectrum of its ring (mean over windows). */
  prominence: number;
  /** Its frequency in cycles per pixel (0.5 is Nyquist) and its direction in degrees (0 = horizontal variation). */
  frequency: number;
  angle: number;
  /** Bin of the peak, for looking at the same frequency elsewhere. */
  kx: number;
  ky: number;
}

export interface SpectralReport {
  windows: number;
  /** The strongest periodic component of luma. */
  luma: PeakReport;
  /** The strongest periodic component of chroma (R - G and B - G). */
  chroma: PeakReport;
  /**
   * At the chroma peak: how far R, G and B are out of phase, 0 (a grey pattern: in phase) to
   * 1 (channels 120 degrees apart, as the R, G and B stripes of a display's sub-pixels are).
   */
  channelPhaseSpread: number;
  /** At the chroma peak: chroma power over luma power, log10 (colour banding rather than grey texture). */
  chromaToLuma: number;
  /** Share of power above 0.3 cycles/px among power above 0.06 (fine dots and dither vs. smooth print), median over windows. */
  highFrequencyShare: number;
  /**
   * Median over windows of each window's own strongest peak (log10 ratio): a moire whose
   * frequency drifts across a tilted document peaks in every window, at a different bin.
   */
  lumaWindowPeak: number;
  chromaWindowPeak: number;
}

const NO_PEAK: PeakReport = { prominence: 0, frequency: 0, angle: 0, kx: 0, ky: 0 };

/**
 * log10 of each searched bin's power over the geometric mean power of its ring (same |k|),
 * so a peak is measured against the texture at its own scale; summed over windows into `sum`.
 * Returns the window's largest.
 */
function addLogRatios(power: Float64Array, sum: Float64Array): number {
  const { index, ring, rings } = searchBins;
  const ringLog = new Float64Array(rings), ringCount = new Float64Array(rings);
  const logs = new Float64Array(index.length);
  for (let p = 0; p < index.length; p++) {
    const l = Math.log10(power[index[p]] + 1e-6);
    logs[p] = l;
    ringLog[ring[p]] += l;
    ringCount[ring[p]]++;
  }
  for (let r = 0; r < rings; r++) if (ringCount[r] > 0) ringLog[r] /= ringCount[r];
  let max = 0;
  for (let p = 0; p < index.length; p++) {
    const v = logs[p] - ringLog[ring[p]];
    sum[p] += v;
    if (v > max) max = v;
  }
  return max;
}

function strongestPeak(meanLog: Float64Array): PeakReport {
  let best = -1;
  for (let p = 0; p < meanLog.length; p++) if (best < 0 || meanLog[p] > meanLog[best]) best = p;
  if (best < 0) return NO_PEAK;
  const kx = searchBins.kx[best], ky = searchBins.ky[best];
  return { prominence: meanLog[best], frequency: Math.hypot(kx, ky) / WINDOW, angle: (Math.atan2(ky, kx) * 180) / Math.PI, kx, ky };
}

/** The largest mean log ratio at (kx, ky) or its 8 neighbours: is this frequency periodic here too? */
export function prominenceAt(meanLog: Float64Array | null, kx: number, ky: number): number {
  if (!meanLog) return 0;
  let best = 0;
  for (let dy = -1; dy <= 1; dy++) {
    for (let dx = -1; dx <= 1; dx++) {
      let x = kx + dx, y = ky + dy;
      if (y < 0 || (y === 0 && x < 0)) { x = -x; y = -y; }
      if (y > WINDOW / 2 || x > WINDOW / 2 || x <= -WINDOW / 2) continue;
      const p = searchPosition[binIndex(x, y)];
      if (p >= 0) best = Math.max(best, meanLog[p]);
    }
  }
  return best;
}

function median(values: number[]): number {
  // A typed array sorts numbers natively, several times faster than a comparator.
  const s = Float64Array.from(values).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface SpectralAnalysis {
  report: SpectralReport;
  /** Mean over windows of each searched bin's log10 ratio to its ring. */
  lumaLog: Float64Array;
  chromaLog: Float64Array;
}

/**
 * Spectra of WINDOW-sized squares (top-left corners) of the input image: the strongest
 * periodic components of luma and chroma that recur across the windows, the phase of R, G
 * and B at the chroma peak, and the share of fine-scale power.
 */
export function analyzeSpectra(rgb: RgbImage, corners: Point[]): SpectralAnalysis | null {
  const n = WINDOW;
  if (corners.length === 0) return null;
  const lumaLog = new Float64Array(searchBins.index.length);
  const chromaLog = new Float64Array(searchBins.index.length);
  // Per window, R, G and B (re, im) at every searched bin: the phases at the chroma peak are
  // read once the peak is known.
  const bins = searchBins.index.length;
  const kept: Float64Array[] = [];
  const hfShares: number[] = [];
  const luma = new Float64Array(n * n), chroma = new Float64Array(n * n);
  const lumaMax: number[] = [], chromaMax: number[] = [];
  const { rr, ri, gr, gi, br, bi } = scratch;
  for (const [x, y] of corners) {
    spectrumAt(rgb, Math.round(x), Math.round(y));
    let high = 0, mid = 0;
    for (let i = 0; i < n * n; i++) {
      const yr = 0.299 * rr[i] + 0.587 * gr[i] + 0.114 * br[i];
      const yi = 0.299 * ri[i] + 0.587 * gi[i] + 0.114 * bi[i];
      luma[i] = yr * yr + yi * yi;
      const band = scaleBand[i];
      if (band > 0) {
        mid += luma[i];
        if (band === 2) high += luma[i];
      }
    }
    const compact = new Float64Array(6 * bins);
    for (let p = 0; p < bins; p++) {
      const i = searchBins.index[p];
      // Chroma power is only ever read at the searched bins.
      const c1r = rr[i] - gr[i], c1i = ri[i] - gi[i];
      const c2r = br[i] - gr[i], c2i = bi[i] - gi[i];
      chroma[i] = c1r * c1r + c1i * c1i + c2r * c2r + c2i * c2i;
      compact[6 * p] = rr[i]; compact[6 * p + 1] = ri[i];
      compact[6 * p + 2] = gr[i]; compact[6 * p + 3] = gi[i];
      compact[6 * p + 4] = br[i]; compact[6 * p + 5] = bi[i];
    }
    kept.push(compact);
    hfShares.push(mid > 0 ? high / mid : 0);
    lumaMax.push(addLogRatios(luma, lumaLog));
    chromaMax.push(addLogRatios(chroma, chromaLog));
  }
  for (let p = 0; p < lumaLog.length; p++) {
    lumaLog[p] /= corners.length;
    chromaLog[p] /= corners.length;
  }
  const lumaPeak = strongestPeak(lumaLog);
  const chromaPeak = strongestPeak(chromaLog);
  // Phase of R and B relative to G at the chroma peak, as power-weighted mean phasors.
  let rgRe = 0, rgIm = 0, bgRe = 0, bgIm = 0, lumaPower = 0, chromaPower = 0;
  if (chromaPeak.frequency > 0) {
    const p = searchPosition[binIndex(chromaPeak.kx, chromaPeak.ky)];
    for (const c of kept) {
      const rr = c[6 * p], ri = c[6 * p + 1], gr = c[6 * p + 2], gi = c[6 * p + 3], br = c[6 * p + 4], bi = c[6 * p + 5];
      rgRe += rr * gr + ri * gi; rgIm += ri * gr - rr * gi;
      bgRe += br * gr + bi * gi; bgIm += bi * gr - br * gi;
      const yr = 0.299 * rr + 0.587 * gr + 0.114 * br, yi = 0.299 * ri + 0.587 * gi + 0.114 * bi;
      lumaPower += yr * yr + yi * yi;
      chromaPower += (rr - gr) ** 2 + (ri - gi) ** 2 + (br - gr) ** 2 + (bi - gi) ** 2;
    }
  }
  const spread = (re: number, im: number) => (re === 0 && im === 0 ? 0 : (1 - Math.cos(Math.atan2(im, re))) / 1.5);
  return {
    report: {
      windows: corners.length,
      luma: lumaPeak,
      chroma: chromaPeak,
      channelPhaseSpread: Math.min(1, (spread(rgRe, rgIm) + spread(bgRe, bgIm)) / 2),
      chromaToLuma: chromaPeak.frequency > 0 ? Math.log10((chromaPower + 1e-9) / (lumaPower + 1e-9)) : 0,
      highFrequencyShare: median(hfShares),
      lumaWindowPeak: median(lumaMax),
      chromaWindowPeak: median(chromaMax),
    },
    lumaLog,
    chromaLog,
  };
}
