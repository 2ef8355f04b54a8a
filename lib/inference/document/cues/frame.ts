import type { GreyImage } from "../locate";
import { sampleGrey } from "../locate";
import type { Quad } from "../quad";

/**
 * What lies around the document, side by side: a flat band that ends at a straight edge
 * parallel to the side. A card on a desk or held up in a room rarely has one all along a
 * side; two kinds of attack do:
 *
 * - a screen (deviceFrame): a viewer shows the document square to the screen, on a flat
 *   background (its viewer, or the screen's black), and the screen ends at its bezel; the
 *   band (an unlit viewer) or what lies just past it (the bezel) is darker than anything
 *   printed or painted under the light that shows the document;
 * - a print on its sheet (paperSheet): the blank paper around the printed document, as white
 *   as the document's own white, ends at the sheet's edge.
 *
 * A passport's cover is such a band too, but 1.5-3 mm (2-4% of the page's height) wide, and
 * its facing page another, a whole page high: neither counts (MIN_WIDTH, MAX_SHEET_WIDTH).
 */
export interface StraightBand {
  /** Median width over the side's rays, in document heights (the outline's short side). */
  width: number;
  /** Median luma of the band over the document's white (p98 luma). */
  band: number;
  /** The darker of the band and what lies just past it (within BEYOND), over the document's white. */
  darkness: number;
}

export interface BandCount {
  /** Sides (0-4) whose band qualifies. */
  sides: number;
  /** Median over those sides of the band's width (document heights) and of its level (darkness or brightness, share of the document's white); 0 when none. */
  width: number;
  level: number;
}

/** Rays per side, over the middle 80% of it (clear of the corners). */
const RAYS_PER_SIDE = 24;
/** How far out the rays look, in document heights. */
const REACH = 1.2;
/** Share of a side's rays whose band ends must lie on one straight line. */
const MIN_INLIERS = 0.5;
/** How far past the band's end its darkest is looked for, in document heights: a bezel is 1.5-15 mm wide. */
const BEYOND = 0.05;
/** Narrowest band that counts, in document heights: wider than a passport cover's edge (2-4%). */
const MIN_WIDTH = 0.06;
/**
 * Darkest share of the document's white (sRGB luma) that counts as a screen's dark: about
 * 2.5% reflectance against a card's 85% after the sRGB curve. Black paint or plastic under the
 * document's light comes out above it; a bezel or an unlit screen, lit by the room alone
 * while the document shines with the screen's light, below.
 */
export const DARK_SHARE = 0.15;
/** Narrowest bezel that counts, in document heights: a phone's 1.5 mm against a 54 mm card is 0.028. */
const MIN_BEZEL_WIDTH = 0.02;
/** Widest band that counts as a sheet's margin, in document heights: a passport's facing page is a whole page high. */
const MAX_SHEET_WIDTH = 0.95;
/** Least share of the document's white a sheet's margin has: it is the paper the document is printed on. */
const SHEET_WHITE = 0.85;

function median(values: number[]): number {
  if (values.length === 0) return 0;
  // A typed array sorts numbers natively, several times faster than a comparator.
  const s = Float64Array.from(values).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface RayBand {
  /** Position along the side (px from its start). */
  t: number;
  /** Where the flat band around the document ends, px from the outline. */
  end: number;
  /** Mean luma of the band; darkest luma within BEYOND past its end. */
  band: number;
  beyond: number;
}

/**
 * The band along one ray from (px, py) in direction (nx, ny), `across` the ray for smoothing:
 * samples every `step` px from `skip` on, within `change` of the band's running mean, until
 * two in a row are not. Null when the band reaches the picture's edge or `reach` first.
 */
function bandAlong(grey: GreyImage, px: number, py: number, nx: number, ny: number, across: [number, number], step: number, skip: number, reach: number, change: number, beyondPx: number, t: number): RayBand | null {
  let sum = 0, n = 0, off = 0, end = -1, beyond = Infinity;
  for (let d = skip; d <= reach; d += step) {
    const x = px + nx * d, y = py + ny * d;
    if (x < 0 || y < 0 || x > grey.width - 1 || y > grey.height - 1) break;
    const v = (sampleGrey(grey, x, y) + sampleGrey(grey, x - across[0], y - across[1]) + sampleGrey(grey, x + across[0], y + across[1])) / 3;
    if (end >= 0) {
      if (d > end + beyondPx) break;
      beyond = Math.min(beyond, v);
      continue;
    }
    if (n > 0 && Math.abs(v - sum / n) > change) {
      // Two samples off the band in a row end it (one is noise, a glint, a moire fringe).
      if (++off === 2) {
        end = d - step;
        beyond = v;
      }
      continue;
    }
    off = 0;
    sum += v;
    n++;
  }
  return end < 0 || n < 2 ? null : { t, end, band: sum / n, beyond };
}

/**
 * The straight bands around the outline (`corners`, clockwise as seen) on the grey image,
 * `white` being the document's white (p98 luma); with `inward`, the bands just inside it
 * (the outline's own border). Per side, 24 rays outwards (or inwards) over its middle
 * 80% (bandAlong: samples within max(8, 6% of the white) of the band's running mean); the
 * largest set of band ends on one straight line (within 0.6% of a document height, at most
 * 10 degrees off the side's direction), if it holds half the side's rays, is the side's band.
 */
export function findStraightBands(grey: GreyImage, corners: Quad, white: number, inward = false): StraightBand[] {
  const lengths = [0, 1, 2, 3].map((i) => Math.hypot(corners[(i + 1) % 4][0] - corners[i][0], corners[(i + 1) % 4][1] - corners[i][1]));
  const short = Math.min(...lengths);
  if (!(short > 0) || !(white > 0)) return [];
  // 150 samples per document height; the document's own edge (its blur) is skipped.
  const step = Math.max(1, short / 150);
  const skip = 0.015 * short;
  const change = Math.max(8, 0.06 * white);
  const tolerance = Math.max(2, 0.006 * short);
  const maxSlope = Math.tan((10 * Math.PI) / 180);
  const found: StraightBand[] = [];
  for (let s = 0; s < 4; s++) {
    const a = corners[s], b = corners[(s + 1) % 4];
    const tx = (b[0] - a[0]) / lengths[s], ty = (b[1] - a[1]) / lengths[s];
    // Outward normal of a clockwise outline in image coordinates (y down).
    const nx = inward ? -ty : ty, ny = inward ? tx : -tx;
    const rays: RayBand[] = [];
    for (let k = 0; k < RAYS_PER_SIDE; k++) {
      const t = lengths[s] * (0.1 + (0.8 * (k + 0.5)) / RAYS_PER_SIDE);
      const ray = bandAlong(grey, a[0] + tx * t, a[1] + ty * t, nx, ny, [tx * step, ty * step], step, skip, REACH * short, change, BEYOND * short, t);
      if (ray) rays.push(ray);
    }
    // The band ends on one straight line end = c0 + c1 t, tried through every pair of ends.
    let best: RayBand[] = [];
    for (let i = 0; i < rays.length; i++) {
      for (let j = i + 1; j < rays.length; j++) {
        const slope = (rays[j].end - rays[i].end) / (rays[j].t - rays[i].t);
        if (Math.abs(slope) > maxSlope) continue;
        let count = 0;
        for (const r of rays) if (Math.abs(r.end - (rays[i].end + slope * (r.t - rays[i].t))) <= tolerance) count++;
        if (count > best.length) best = rays.filter((r) => Math.abs(r.end - (rays[i].end + slope * (r.t - rays[i].t))) <= tolerance);
      }
    }
    if (best.length < MIN_INLIERS * RAYS_PER_SIDE) continue;
    const band = median(best.map((r) => r.band)) / white;
    found.push({ width: median(best.map((r) => r.end)) / short, band, darkness: Math.min(band, median(best.map((r) => r.beyond)) / white) });
  }
  return found;
}

function countOf(bands: StraightBand[], level: (b: StraightBand) => number): BandCount {
  return { sides: bands.length, width: median(bands.map((b) => b.width)), level: median(bands.map(level)) };
}

/** A screen's frame: bands at least MIN_WIDTH wide whose darkest part is at most DARK_SHARE of the white; the level is that darkness. */
export function deviceFrame(bands: StraightBand[]): BandCount {
  return countOf(bands.filter((b) => b.width >= MIN_WIDTH && b.darkness <= DARK_SHARE), (b) => b.darkness);
}

/**
 * A bezel seen from outside: bands just inside the outline (findStraightBands, inward) at
 * least MIN_BEZEL_WIDTH wide and at most DARK_SHARE of the white. The outline is then the
 * screen or the device, with the document shown inside it: a card's own border is printed.
 */
export function bezelInside(bands: StraightBand[]): BandCount {
  return countOf(bands.filter((b) => b.width >= MIN_BEZEL_WIDTH && b.band <= DARK_SHARE), (b) => b.band);
}

/** A print's sheet: bands MIN_WIDTH to MAX_SHEET_WIDTH wide and at least SHEET_WHITE of the white; the level is their brightness. */
export function paperSheet(bands: StraightBand[]): BandCount {
  return countOf(bands.filter((b) => b.width >= MIN_WIDTH && b.width <= MAX_SHEET_WIDTH && b.band >= SHEET_WHITE), (b) => b.band);
}
