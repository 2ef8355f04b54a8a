/**
 * Projective geometry of a flat object in front of a pinhole camera. Plane coordinates are
 * millimetres on the object (u right, v down); image coordinates are pixels with (0, 0) at
 * the top-left corner of the top-left pixel, so a pixel's centre is at +0.5.
 */

export type Point = [number, number];
/** Document corners clockwise from the document's own top-left: TL, TR, BR, BL. */
export type Quad = [Point, Point, Point, Point];
/** Row-major 3 x 3 matrix. */
export type Mat3 = [number, number, number, number, number, number, number, number, number];

export function multiply(a: Mat3, b: Mat3): Mat3 {
  const out = new Array<number>(9) as Mat3;
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) out[r * 3 + c] = a[r * 3] * b[c] + a[r * 3 + 1] * b[3 + c] + a[r * 3 + 2] * b[6 + c];
  }
  return out;
}

export function invert(m: Mat3): Mat3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (Math.abs(det) < 1e-15) throw new Error("singular homography");
  const k = 1 / det;
  return [A * k, -(b * i - c * h) * k, (b * f - c * e) * k, B * k, (a * i - c * g) * k, -(a * f - c * d) * k, C * k, -(a * h - b * g) * k, (a * e - b * d) * k];
}

export function apply(m: Mat3, [x, y]: Point): Point {
  const w = m[6] * x + m[7] * y + m[8];
  return [(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w];
}

export function translation(tx: number, ty: number): Mat3 {
  return [1, 0, tx, 0, 1, ty, 0, 0, 1];
}

export function scaling(sx: number, sy = sx): Mat3 {
  return [sx, 0, 0, 0, sy, 0, 0, 0, 1];
}

export function rotation(angle: number): Mat3 {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  return [c, -s, 0, s, c, 0, 0, 0, 1];
}

/** The corners of the rectangle [u0, u0 + w] x [v0, v0 + h] through `m`, TL, TR, BR, BL. */
export function mapRect(m: Mat3, u0: number, v0: number, w: number, h: number): Quad {
  return [apply(m, [u0, v0]), apply(m, [u0 + w, v0]), apply(m, [u0 + w, v0 + h]), apply(m, [u0, v0 + h])];
}

export function quadBounds(q: readonly Point[]): { x1: number; y1: number; x2: number; y2: number } {
  const xs = q.map((p) => p[0]);
  const ys = q.map((p) => p[1]);
  return { x1: Math.min(...xs), y1: Math.min(...ys), x2: Math.max(...xs), y2: Math.max(...ys) };
}

/** Shoelace area, positive for clockwise corners in image coordinates (y down). */
export function quadArea(q: readonly Point[]): number {
  let s = 0;
  for (let i = 0; i < q.length; i++) {
    const [x1, y1] = q[i];
    const [x2, y2] = q[(i + 1) % q.length];
    s += x1 * y2 - x2 * y1;
  }
  return s / 2;
}

export function pointInQuad(q: readonly Point[], [x, y]: Point): boolean {
  let inside = false;
  for (let i = 0, j = q.length - 1; i < q.length; j = i++) {
    const [xi, yi] = q[i];
    const [xj, yj] = q[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Pose of a plane seen by a pinhole camera: rotated by `roll` within the plane, then tilted
 * by `tilt` about an in-plane axis at angle `tiltAxis`, its point (uc, vc) at camera-space
 * position `centre` (mm, z forward). Returns the homography plane (mm) -> image (px) for a
 * camera of focal length `focalPx` with its principal point at (cx, cy).
 */
export function planeHomography(opts: {
  focalPx: number;
  cx: number;
  cy: number;
  roll: number;
  tilt: number;
  tiltAxis: number;
  centre: [number, number, number];
  anchor: Point;
}): Mat3 {
  const { focalPx: f, cx, cy, roll, tilt, tiltAxis, centre, anchor } = opts;
  // Rodrigues rotation about the unit axis (cos a, sin a, 0) by `tilt`.
  const ax = Math.cos(tiltAxis);
  const ay = Math.sin(tiltAxis);
  const c = Math.cos(tilt);
  const s = Math.sin(tilt);
  const t = 1 - c;
  const tiltM: Mat3 = [t * ax * ax + c, t * ax * ay, s * ay, t * ax * ay, t * ay * ay + c, -s * ax, -s * ay, s * ax, c];
  const R = multiply(tiltM, rotation(roll));
  // Columns r1, r2 of R and the translation t = centre - uc r1 - vc r2.
  const [uc, vc] = anchor;
  const tx = centre[0] - uc * R[0] - vc * R[1];
  const ty = centre[1] - uc * R[3] - vc * R[4];
  const tz = centre[2] - uc * R[6] - vc * R[7];
  const planeToCamera: Mat3 = [R[0], R[1], tx, R[3], R[4], ty, R[6], R[7], tz];
  const K: Mat3 = [f, 0, cx, 0, f, cy, 0, 0, 1];
  return multiply(K, planeToCamera);
}
