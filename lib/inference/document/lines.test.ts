import { describe, expect, it } from "vitest";
import type { Point } from "../geometry";
import { mergeSegments, quadsFromLines } from "./lines";

describe("quadrilaterals from straight edges", () => {
  it("closes a card's four sides, broken and overrun, into one outline, and not a side that is mostly bare", () => {
    // A 320 x 200 card at (100, 80), its long sides broken in two, the sides running on past
    // the corners (a desk seam), and a fifth line across the middle with edges on a tenth of it.
    const seg = (a: Point, b: Point) => ({ a, b });
    const segments = [
      seg([100, 80], [250, 80]), seg([270, 80], [460, 80]),
      seg([100, 280], [420, 280]),
      seg([100, 60], [100, 300]),
      seg([420, 80], [420, 280]),
      seg([300, 160], [330, 160]),
    ];
    const lines = mergeSegments(segments, 40);
    const quads = quadsFromLines(lines, 20, 0.35, () => true);
    expect(quads).toHaveLength(1);
    const [{ quad, minCoverage, meanCoverage }] = quads;
    const expected: Point[] = [[100, 80], [420, 80], [420, 280], [100, 280]];
    quad.forEach((p, i) => {
      expect(p[0]).toBeCloseTo(expected[i][0], 6);
      expect(p[1]).toBeCloseTo(expected[i][1], 6);
    });
    // The top side's gap (250-270) is the only part without an edge.
    expect(minCoverage).toBeCloseTo(300 / 320, 6);
    expect(meanCoverage).toBeCloseTo((300 / 320 + 3) / 4, 6);
  });
});
