import { describe, expect, it } from "vitest";
import type { Point } from "../geometry";
import { applyHomography, homographyFrom, orderQuad, quadIou, rectifiedAspect } from "./quad";
import type { Quad } from "./quad";

/** Pinhole projection of a w x h mm rectangle tilted by `tilt` radians about its horizontal axis, at distance z mm. */
function project(w: number, h: number, tilt: number, z: number, f: number, cx: number, cy: number): Quad {
  const corners: Point[] = [[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]];
  return corners.map(([u, v]) => {
    const y = v * Math.cos(tilt), zz = z + v * Math.sin(tilt);
    return [cx + (f * u) / zz, cy + (f * y) / zz] as Point;
  }) as Quad;
}

describe("document quad geometry", () => {
  it("orders any four corners clockwise from the top-left", () => {
    const q = orderQuad([[10, 100], [100, 5], [0, 0], [110, 90]]);
    expect(q).toEqual([[0, 0], [100, 5], [110, 90], [10, 100]]);
  });

  it("measures the overlap of two quads", () => {
    const a: Point[] = [[0, 0], [10, 0], [10, 10], [0, 10]];
    expect(quadIou(a, a)).toBeCloseTo(1, 6);
    expect(quadIou(a, [[5, 0], [15, 0], [15, 10], [5, 10]])).toBeCloseTo(50 / 150, 6);
    expect(quadIou(a, [[20, 20], [30, 20], [30, 30], [20, 30]])).toBe(0);
  });

  it("undoes perspective to recover an ID-1 card's proportions", () => {
    // A 85.6 x 54 mm card tilted by 35 degrees, 250 mm from a camera with a 1500 px focal length.
    const q = project(85.6, 54, (35 * Math.PI) / 180, 250, 1500, 960, 540);
    const naive = (q[1][0] - q[0][0] + q[2][0] - q[3][0]) / (q[3][1] - q[0][1] + q[2][1] - q[1][1]);
    expect(Math.abs(naive - 85.6 / 54)).toBeGreaterThan(0.15);
    expect(rectifiedAspect(q, 1920, 1080)).toBeCloseTo(85.6 / 54, 1);
  });

  it("maps the corners of a homography exactly", () => {
    const from: Point[] = [[0, 0], [1012, 0], [1012, 638], [0, 638]];
    const to: Point[] = [[412, 300], [1400, 260], [1450, 900], [380, 880]];
    const h = homographyFrom(from, to);
    from.forEach((p, i) => {
      const [x, y] = applyHomography(h, p);
      expect(x).toBeCloseTo(to[i][0], 6);
      expect(y).toBeCloseTo(to[i][1], 6);
    });
  });
});
