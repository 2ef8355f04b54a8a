import type { Point } from "../../geometry";
import type { Quad } from "../quad";
import { applyHomography } from "../quad";
import type { Homography } from "../quad";
import { WINDOW } from "./spectrum";

/** True when p is inside the convex clockwise (screen) quad. */
export function insideQuad(q: readonly Point[], [x, y]: Point): boolean {
  for (let i = 0; i < 4; i++) {
    const a = q[i], b = q[(i + 1) % 4];
    if ((b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]) < 0) return false;
  }
  return true;
}

function windowCorners(x: number, y: number): Point[] {
  return [[x, y], [x + WINDOW, y], [x + WINDOW, y + WINDOW], [x, y + WINDOW]];
}

/**
 * Top-left corners of spectrum windows inside the document: a 4 x 3 grid over the canonical
 * document mapped into the image, keeping those whose whole square lies inside the outline
 * shrunk by 3%, at most `max`.
 */
export function windowsInside(corners: Quad, toImage: Homography, docWidth: number, docHeight: number, imageWidth: number, imageHeight: number, max = 12): Point[] {
  const shrunk = corners.map((p) => {
    const cx = (corners[0][0] + corners[1][0] + corners[2][0] + corners[3][0]) / 4;
    const cy = (corners[0][1] + corners[1][1] + corners[2][1] + corners[3][1]) / 4;
    return [cx + (p[0] - cx) * 0.97, cy + (p[1] - cy) * 0.97] as Point;
  });
  const out: Point[] = [];
  for (const v of [0.22, 0.5, 0.78]) {
    for (const u of [0.15, 0.38, 0.62, 0.85]) {
      const [cx, cy] = applyHomography(toImage, [u * docWidth, v * docHeight]);
      const x = Math.round(cx - WINDOW / 2), y = Math.round(cy - WINDOW / 2);
      if (x < 0 || y < 0 || x + WINDOW > imageWidth || y + WINDOW > imageHeight) continue;
      if (!windowCorners(x, y).every((p) => insideQuad(shrunk, p))) continue;
      out.push([x, y]);
    }
  }
  return out.slice(0, max);
}

/**
 * Top-left corners of spectrum windows just outside the document: two per side, their
 * near edge 8 px beyond the outline, kept when the whole square is inside the image and
 * clear of the outline.
 */
export function windowsAround(corners: Quad, imageWidth: number, imageHeight: number): Point[] {
  const out: Point[] = [];
  for (let s = 0; s < 4; s++) {
    const a = corners[s], b = corners[(s + 1) % 4];
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    const nx = (b[1] - a[1]) / len, ny = -(b[0] - a[0]) / len;
    for (const u of [0.3, 0.7]) {
      const d = WINDOW / 2 + 8;
      // The far corner of an axis-aligned square sticks out along a tilted normal: push it out further.
      const tilt = Math.abs(nx) + Math.abs(ny);
      const cx = a[0] + (b[0] - a[0]) * u + nx * d * tilt;
      const cy = a[1] + (b[1] - a[1]) * u + ny * d * tilt;
      const x = Math.round(cx - WINDOW / 2), y = Math.round(cy - WINDOW / 2);
      if (x < 0 || y < 0 || x + WINDOW > imageWidth || y + WINDOW > imageHeight) continue;
      if (windowCorners(x, y).some((p) => insideQuad(corners, p))) continue;
      out.push([x, y]);
    }
  }
  return out;
}

/**
 * Pixels of a band around the outline (by default from 2% to 12% of the document's size
 * outside it: the outline scaled about its centre by `from` and `to`), sampled on a grid of
 * `step` px: where the paper of a print, a screen's bezel, or the desk the document lies on is.
 */
export function marginSamples(corners: Quad, imageWidth: number, imageHeight: number, step: number, from = 1.04, to = 1.24): Point[] {
  const cx = (corners[0][0] + corners[1][0] + corners[2][0] + corners[3][0]) / 4;
  const cy = (corners[0][1] + corners[1][1] + corners[2][1] + corners[3][1]) / 4;
  const grow = (f: number) => corners.map((p) => [cx + (p[0] - cx) * f, cy + (p[1] - cy) * f] as Point);
  const inner = grow(from), outer = grow(to);
  const xs = outer.map((p) => p[0]), ys = outer.map((p) => p[1]);
  const out: Point[] = [];
  for (let y = Math.max(0, Math.floor(Math.min(...ys))); y < Math.min(imageHeight, Math.ceil(Math.max(...ys))); y += step) {
    for (let x = Math.max(0, Math.floor(Math.min(...xs))); x < Math.min(imageWidth, Math.ceil(Math.max(...xs))); x += step) {
      if (insideQuad(outer, [x, y]) && !insideQuad(inner, [x, y])) out.push([x, y]);
    }
  }
  return out;
}
