import type { Point } from "../geometry";
import type { Quad } from "./quad";
import { intersectLines, isConvexQuad, orderQuad } from "./quad";

/** A straight piece of an edge contour. */
export interface Segment {
  a: Point;
  b: Point;
}

/** Segments merged onto one straight line: the line, and the stretches of it that edges cover. */
export interface EdgeLine {
  /** Unit direction, angle in [0, pi). */
  dir: Point;
  theta: number;
  /** Signed distance of the line from the origin along its normal (-dir[1], dir[0]). */
  rho: number;
  /** Covered intervals along `dir` (projections t = p . dir), merged and sorted. */
  covered: Array<[number, number]>;
  length: number;
}

const ANGLE_TOLERANCE = (2.5 * Math.PI) / 180;
const OFFSET_TOLERANCE = 3;

function angleDiff(a: number, b: number): number {
  const d = Math.abs(a - b) % Math.PI;
  return Math.min(d, Math.PI - d);
}

/**
 * Merges segments lying on one line (within 2.5 degrees and 3 px) into EdgeLines, longest
 * first; returns the `max` lines with the most edge length.
 */
export function mergeSegments(segments: Segment[], max: number): EdgeLine[] {
  const sorted = segments
    .map((s) => ({ s, len: Math.hypot(s.b[0] - s.a[0], s.b[1] - s.a[1]) }))
    .sort((p, q) => q.len - p.len);
  const lines: Array<EdgeLine & { intervals: Array<[number, number]> }> = [];
  for (const { s, len } of sorted) {
    let theta = Math.atan2(s.b[1] - s.a[1], s.b[0] - s.a[0]);
    if (theta < 0) theta += Math.PI;
    if (theta >= Math.PI) theta -= Math.PI;
    const mid: Point = [(s.a[0] + s.b[0]) / 2, (s.a[1] + s.b[1]) / 2];
    let line = lines.find((l) => angleDiff(l.theta, theta) < ANGLE_TOLERANCE && Math.abs(-l.dir[1] * mid[0] + l.dir[0] * mid[1] - l.rho) < OFFSET_TOLERANCE);
    if (!line) {
      const dir: Point = [Math.cos(theta), Math.sin(theta)];
      line = { dir, theta, rho: -dir[1] * mid[0] + dir[0] * mid[1], covered: [], intervals: [], length: 0 };
      lines.push(line);
    }
    const ta = s.a[0] * line.dir[0] + s.a[1] * line.dir[1];
    const tb = s.b[0] * line.dir[0] + s.b[1] * line.dir[1];
    line.intervals.push([Math.min(ta, tb), Math.max(ta, tb)]);
  }
  for (const line of lines) {
    line.intervals.sort((p, q) => p[0] - q[0]);
    const merged: Array<[number, number]> = [];
    for (const iv of line.intervals) {
      const last = merged[merged.length - 1];
      if (last && iv[0] <= last[1] + 2) last[1] = Math.max(last[1], iv[1]);
      else merged.push([iv[0], iv[1]]);
    }
    line.covered = merged;
    line.length = merged.reduce((s, iv) => s + iv[1] - iv[0], 0);
  }
  return lines
    .sort((p, q) => q.length - p.length)
    .slice(0, max)
    .map(({ dir, theta, rho, covered, length }) => ({ dir, theta, rho, covered, length }));
}

/** Share of the stretch of `line` between points p and q that edges cover. */
function coverage(line: EdgeLine, p: Point, q: Point): number {
  let t0 = p[0] * line.dir[0] + p[1] * line.dir[1];
  let t1 = q[0] * line.dir[0] + q[1] * line.dir[1];
  if (t0 > t1) [t0, t1] = [t1, t0];
  if (t1 - t0 < 1) return 0;
  let sum = 0;
  for (const [a, b] of line.covered) {
    const lo = Math.max(a, t0), hi = Math.min(b, t1);
    if (hi > lo) sum += hi - lo;
  }
  return sum / (t1 - t0);
}

/** Coverage (see coverage) of a side from u to v on `line`, or -1 unless it is at least `minSide` long and covered along `minCoverage` of it. */
function sideCoverage(line: EdgeLine, u: Point, v: Point, minSide: number, minCoverage: number): number {
  if (Math.hypot(v[0] - u[0], v[1] - u[1]) < minSide) return -1;
  const c = coverage(line, u, v);
  return c >= minCoverage ? c : -1;
}

function pointOn(line: EdgeLine): [Point, Point] {
  const n: Point = [-line.dir[1], line.dir[0]];
  const p: Point = [n[0] * line.rho, n[1] * line.rho];
  return [p, [p[0] + line.dir[0], p[1] + line.dir[1]]];
}

export interface LineQuad {
  quad: Quad;
  /** Smallest and mean share of each side that edge segments cover. */
  minCoverage: number;
  meanCoverage: number;
}

/**
 * Quadrilaterals bounded by four of the lines: two roughly parallel pairs (within 35
 * degrees: perspective makes opposite sides converge) at 50-90 degrees to each other, convex,
 * at least `minSide` px on every side, each side covered by edges along `minCoverage` of it.
 */
export function quadsFromLines(lines: EdgeLine[], minSide: number, minCoverage: number, accept: (q: Quad) => boolean): LineQuad[] {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < lines.length; i++) {
    for (let j = i + 1; j < lines.length; j++) {
      if (angleDiff(lines[i].theta, lines[j].theta) > (35 * Math.PI) / 180) continue;
      pairs.push([i, j]);
    }
  }
  const out: LineQuad[] = [];
  const ends = lines.map(pointOn);
  // Where two lines cross, computed once: every pair of pairs needs four crossings, and
  // intersectLines gives the same point (to the bit) whichever line comes first.
  const n = lines.length;
  const crossings = new Array<Point | null | undefined>(n * n);
  const crossing = (i: number, j: number): Point | null => {
    const k = i < j ? i * n + j : j * n + i;
    let c = crossings[k];
    if (c === undefined) c = crossings[k] = intersectLines(ends[i][0], ends[i][1], ends[j][0], ends[j][1]);
    return c;
  };
  for (let p = 0; p < pairs.length; p++) {
    const [a1, a2] = pairs[p];
    const thetaA = lines[a1].theta;
    for (let q = p + 1; q < pairs.length; q++) {
      const [b1, b2] = pairs[q];
      if (b1 === a1 || b1 === a2 || b2 === a1 || b2 === a2) continue;
      const cross = angleDiff(thetaA, lines[b1].theta);
      if (cross < (50 * Math.PI) / 180) continue;
      // c1..c4 run around the quad: a1 meets b1, b1 meets a2, a2 meets b2, b2 meets a1. Each
      // side is checked as soon as its two corners are known: most combinations fail early.
      const c1 = crossing(a1, b1);
      const c2 = c1 && crossing(b1, a2);
      if (!c1 || !c2) continue;
      const cov1 = sideCoverage(lines[b1], c1, c2, minSide, minCoverage);
      if (cov1 < 0) continue;
      const c3 = crossing(a2, b2);
      if (!c3) continue;
      const cov2 = sideCoverage(lines[a2], c2, c3, minSide, minCoverage);
      if (cov2 < 0) continue;
      const c4 = crossing(b2, a1);
      if (!c4) continue;
      const cov3 = sideCoverage(lines[b2], c3, c4, minSide, minCoverage);
      if (cov3 < 0) continue;
      const cov4 = sideCoverage(lines[a1], c4, c1, minSide, minCoverage);
      if (cov4 < 0) continue;
      const minCov = Math.min(cov1, cov2, cov3, cov4);
      const quad = orderQuad([c1, c2, c3, c4]);
      if (!isConvexQuad(quad, 40) || !accept(quad)) continue;
      out.push({ quad, minCoverage: minCov, meanCoverage: (cov1 + cov2 + cov3 + cov4) / 4 });
    }
  }
  return out;
}
