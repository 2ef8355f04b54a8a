import { beforeEach, describe, expect, it, vi } from "vitest";
import type { RgbImage } from "../image";
import type { ModelSet } from "../models";

// The face detector, scripted: faces by the width of the image it is given.
const facesByWidth = new Map<number, Array<{ box: { x1: number; y1: number; x2: number; y2: number }; score: number }>>();
const detectBoxes = vi.fn(async (_models: unknown, image: RgbImage) => facesByWidth.get(image.width) ?? []);
vi.mock("../detect", () => ({ detectBoxes, detectLandmarks: vi.fn(), squareBox: vi.fn() }));

const { ENHANCED_PASSES, findPortraitFace } = await import("./portrait");

const blank = (width: number, height: number): RgbImage => ({ data: new Uint8Array(width * height * 3).fill(128), width, height });
// The document upright (400 x 250) and turned over (420 x 262: told apart by size). Their
// portrait zones, halved for descreening, are 100 and 105 px wide.
const upright = blank(400, 250), turned = blank(420, 262);
const UPRIGHT_DESCREENED = 100, TURNED_DESCREENED = 105;
// A face where the portrait belongs, in pixels of the halved zone.
const face = (score: number) => [{ box: { x1: 20, y1: 30, x2: 60, y2: 80 }, score }];
const models = {} as ModelSet;

describe("the enhanced portrait looks", () => {
  beforeEach(() => {
    facesByWidth.clear();
    detectBoxes.mockClear();
  });

  it("takes a face the detector is all but certain of without looking at the document turned over", async () => {
    facesByWidth.set(UPRIGHT_DESCREENED, face(0.995));
    facesByWidth.set(TURNED_DESCREENED, face(0.999));
    const found = await findPortraitFace(models, [() => upright, () => turned], { passes: ENHANCED_PASSES });
    expect(found).toMatchObject({ index: 0, score: 0.995 });
    // Stretched on both images, descreened on the upright one only: no plain enlarged zone.
    expect(detectBoxes.mock.calls.map(([, image]) => image.width)).toEqual([200, 210, UPRIGHT_DESCREENED]);
  });

  it("still lets a clearer face on the document turned over win against a less certain one", async () => {
    facesByWidth.set(UPRIGHT_DESCREENED, face(0.9));
    facesByWidth.set(TURNED_DESCREENED, face(0.95));
    const found = await findPortraitFace(models, [() => upright, () => turned], { passes: ENHANCED_PASSES });
    expect(found).toMatchObject({ index: 1, score: 0.95, width: 420 });
    // The face's box is given in pixels of the turned document: the halved zone doubled, from the zone's corner.
    expect(found!.box.x1).toBeCloseTo(20 * 2 + 8, 6);
    expect(detectBoxes).toHaveBeenCalledTimes(4);
  });
});
