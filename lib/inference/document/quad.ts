import type { Point } from "../geometry";

/** Four corners: top-left, top-right, bottom-right, bottom-left (clockwise on screen, y down). */
export type Quad = [Point, Point, Point, Point];

/** Signed area (shoelace); positive when the points run clockwise on screen (y down). */
export function signedArea(points: readonly Point[]): number {
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    const [x1, y1] = points[i];
    const [x2, y2] = points[(i + 1) % points.length];
    sum += x1 * y2 - x2 * y1;
  }
  return sum / 2;
}

export function polygonArea(points: readonly Point[]): number {
  return Math.abs(signedArea(points));
}

/**
 * The four points ordered clockwise on screen starting from the top-left one (the corner
 * with the smallest x + y), so that every quad leaves the locator in the same order.
 */
export function orderQuad(points: readonly Point[]): Quad {
  const cx = points.reduce((s, p) => s + p[0], 0) / points.length;
  const cy = points.reduce((s, p) => s + p[1], 0) / points.length;
  // Clockwise on screen is increasing atan2 with y pointing down.
  const sorted = [...points].sort((a, b) => Math.atan2(a[1] - cy, a[0] - cx) - Math.atan2(b[1] - cy, b[0] - cx));
  let start = 0;
  for (let i = 1; i < 4; i++) if (sorted[i][0] + sorted[i][1] < sorted[start][0] + sorted[start][1]) start = i;
  return [0, 1, 2, 3].map((i) => [sorted[(start + i) % 4][0], sorted[(start + i) % 4][1]] as Point) as Quad;
}

/** True when the quad is convex with every interior angle between `minDeg` and 180 - `minDeg`. */
export function isConvexQuad(q: Quad, minDeg = 35): boolean {
  let sign = 0;
  for (let i = 0; i < 4; i++) {
    const a = q[(i + 3) % 4], b = q[i], c = q[(i + 1) % 4];
    const ux = a[0] - b[0], uy = a[1] - b[1], vx = c[0] - b[0], vy = c[1] - b[1];
    const cross = ux * vy - uy * vx;
    const s = Math.sign(cross);
    if (s === 0 || (sign !== 0 && s !== sign)) return false;
    sign = s;
    const angle = (Math.acos(Math.max(-1, Math.min(1, (ux * vx + uy * vy) / (Math.hypot(ux, uy) * Math.hypot(vx, vy))))) * 180) / Math.PI;
    if (angle < minDeg || angle > 180 - minDeg) return false;
  }
  return true;
}

export function sideLengths(q: Quad): [number, number, number, number] {
  return [0, 1, 2, 3].map((i) => Math.hypot(q[(i + 1) % 4][0] - q[i][0], q[(i + 1) % 4][1] - q[i][1])) as [number, number, number, number];
}

/**
 * Width / height of the rectangle a quad is the picture of, undoing perspective where the
 * quad shows enough of it: Zhang and He, "Whiteboard scanning and image enhancement" (Digital
 * Signal Processing 17(2), 2007), which recovers the focal length from the two vanishing
 * points and the aspect ratio from it, with the principal point at the image centre. With
 * little perspective (no usable focal length) it is the ratio of the mean side lengths.
 * `q` runs top-left, top-right, bottom-right, bottom-left; width is along top and bottom.
 */
export function rectifiedAspect(q: Quad, imageWidth: number, imageHeight: number): number {
  const [s0, s1, s2, s3] = sideLengths(q);
  const simple = (s0 + s2) / Math.max(1e-9, s1 + s3);
  const u0 = imageWidth / 2, v0 = imageHeight / 2;
  // The paper's m1..m4: top-left, top-right, bottom-left, bottom-right.
  const h = (p: Point): [number, number, number] => [p[0], p[1], 1];
  const m1 = h(q[0]), m2 = h(q[1]), m3 = h(q[3]), m4 = h(q[2]);
  const cross = (a: number[], b: number[]) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const dot = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  const c14 = cross(m1, m4);
  const k2 = dot(c14, m3) / dot(cross(m2, m4), m3);
  const k3 = dot(c14, m2) / dot(cross(m3, m4), m2);
  const n2 = [k2 * m2[0] - m1[0], k2 * m2[1] - m1[1], k2 * m2[2] - m1[2]];
  const n3 = [k3 * m3[0] - m1[0], k3 * m3[1] - m1[1], k3 * m3[2] - m1[2]];
  const long = Math.max(imageWidth, imageHeight);
  // Nearly parallel opposite sides put a vanishing point at infinity, where f is undefined;
  // and a phone's focal length is 0.6-2.2 times the long side (23-77 mm equivalent), so an
  // estimate outside 0.4-3 is noise. Either way use a main camera's (0.75: 27 mm equivalent);
  // the ratio depends little on f when the perspective is that weak.
  let f2 = (0.75 * long) ** 2;
  if (Math.abs(n2[2]) > 1e-3 && Math.abs(n3[2]) > 1e-3 && Number.isFinite(k2) && Number.isFinite(k3)) {
    const estimate =
      -(
        n2[0] * n3[0] - (n2[0] * n3[2] + n2[2] * n3[0]) * u0 + n2[2] * n3[2] * u0 * u0 +
        (n2[1] * n3[1] - (n2[1] * n3[2] + n2[2] * n3[1]) * v0 + n2[2] * n3[2] * v0 * v0)
      ) / (n2[2] * n3[2]);
    if (estimate > (0.4 * long) ** 2 && estimate < (3 * long) ** 2) f2 = estimate;
  }
  // n^T (A^-T A^-1) n with A = [[f, 0, u0], [0, f, v0], [0, 0, 1]].
  const quadForm = (n: number[]) => {
    const x = (n[0] - u0 * n[2]) / Math.sqrt(f2);
    const y = (n[1] - v0 * n[2]) / Math.sqrt(f2);
    return x * x + y * y + n[2] * n[2];
  };
  const ratio = Math.sqrt(quadForm(n2) / quadForm(n3));
  return Number.isFinite(ratio) && ratio > 0 ? ratio : simple;
}

/** Intersection of the line through p1, p2 and the line through p3, p4; null when parallel. */
export function intersectLines(p1: Point, p2: Point, p3: Point, p4: Point): Point | null {
  const d = (p1[0] - p2[0]) * (p3[1] - p4[1]) - (p1[1] - p2[1]) * (p3[0] - p4[0]);
  if (Math.abs(d) < 1e-9) return null;
  const a = p1[0] * p2[1] - p1[1] * p2[0];
  const b = p3[0] * p4[1] - p3[1] * p4[0];
  return [(a * (p3[0] - p4[0]) - (p1[0] - p2[0]) * b) / d, (a * (p3[1] - p4[1]) - (p1[1] - p2[1]) * b) / d];
}

/** Sutherland-Hodgman: `subject` clipped to the convex, clockwise `clip` polygon. */
function clipPolygon(subject: readonly Point[], clip: readonly Point[]): Point[] {
  let output = [...subject];
  const orientation = Math.sign(signedArea(clip)) || 1;
  for (let i = 0; i < clip.length && output.length > 0; i++) {
    const a = clip[i], b = clip[(i + 1) % clip.length];
    const inside = (p: Point) => orientation * ((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])) >= 0;
    const input = output;
    output = [];
    for (let j = 0; j < input.length; j++) {
      const cur = input[j], prev = input[(j + input.length - 1) % input.length];
      if (inside(cur)) {
        if (!inside(prev)) output.push(intersectLines(prev, cur, a, b) ?? cur);
        output.push(cur);
      } else if (inside(prev)) {
        output.push(intersectLines(prev, cur, a, b) ?? prev);
      }
    }
  }
  return output;
}

/** Intersection over union of two convex quads (any consistent corner order). */
export function quadIou(a: readonly Point[], b: readonly Point[]): number {
  const inter = polygonArea(clipPolygon(a, b));
  const union = polygonArea(a) + polygonArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Share of `inner`'s area that lies inside `outer` (both convex). */
export function containedShare(inner: readonly Point[], outer: readonly Point[]): number {
  const area = polygonArea(inner);
  return area > 0 ? polygonArea(clipPolygon(inner, outer)) / area : 0;
}

/** 3x3 homography, row-major. */
export type Homography = [number, number, number, number, number, number, number, number, number];

export function applyHomography(m: Homography, [x, y]: Point): Point {
  const w = m[6] * x + m[7] * y + m[8];
  return [(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w];
}

/**
 * The homography taking the four `from` points onto the four `to` points (direct linear
 * transform with h33 = 1, solved by Gaussian elimination with partial pivoting).
 */
export function homographyFrom(from: readonly Point[], to: readonly Point[]): Homography {
  const a: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i], [u, v] = to[i];
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    if (Math.abs(a[col][col]) < 1e-12) throw new Error("degenerate quad");
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const f = a[r][col] / a[col][col];
      for (let c = col; c < 9; c++) a[r][c] -= f * a[col][c];
    }
  }
  const h = a.map((row, i) => row[8] / row[i]);
  return [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1];
}

export function invertHomography(m: Homography): Homography {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (Math.abs(det) < 1e-15) throw new Error("singular homography");
  return [A / det, -(b * i - c * h) / det, (b * f - c * e) / det, B / det, (a * i - c * g) / det, -(a * f - c * d) / det, C / det, -(a * h - b * g) / det, (a * e - b * d) / det];
}
