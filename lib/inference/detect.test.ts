import { describe, expect, it } from "vitest";
import { detectBoxes } from "./detect";
import type { RgbImage } from "./image";
import { decodeImage, readImageHeader } from "./image";
import { getModelSet } from "./models";
import { samplePhoto } from "./testing/photos";

async function decoded(file: string): Promise<RgbImage> {
  const bytes = samplePhoto(file);
  return decodeImage(bytes, await readImageHeader(bytes), 2);
}

/** An image turned by 180 degrees, pixel by pixel. */
function turned(image: RgbImage): RgbImage {
  const n = image.width * image.height;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) data.set(image.data.subarray((n - 1 - i) * 3, (n - i) * 3), i * 3);
  return { data, width: image.width, height: image.height };
}

const rounded = (faces: Array<{ score: number; box: { x1: number; y1: number; x2: number; y2: number } }>) =>
  faces.map((f) => [f.score.toFixed(3), f.box.x1.toFixed(1), f.box.y1.toFixed(1), f.box.x2.toFixed(1), f.box.y2.toFixed(1)].join(" ")).sort();

describe("detectBoxes on one thread", () => {
  it("gives passes that overlap (one awaiting the model while another starts) each its own image", async () => {
    const models = await getModelSet();
    const [three, five] = await Promise.all([decoded("sample1.jpg"), decoded("sample5.jpg")]);
    const alone = [await detectBoxes(models, three, { fills: [1] }), await detectBoxes(models, five, { fills: [1] })];
    expect(alone.map((faces) => faces.length)).toEqual([3, 5]);
    // Started together, the second pass is resampled while the first waits for the model.
    const together = await Promise.all([detectBoxes(models, three, { fills: [1] }), detectBoxes(models, five, { fills: [1] })]);
    expect(together.map(rounded)).toEqual(alone.map(rounded));
  });

  it("finds the faces of the image turned over through the upright one's input (halfTurn)", async () => {
    const models = await getModelSet();
    const image = await decoded("sample1.jpg");
    const upside = turned(image);
    // Upside down, the detector finds no face; turned back through halfTurn it finds them all.
    const direct = await detectBoxes(models, turned(upside), { fills: [1] });
    const viaHalfTurn = await detectBoxes(models, upside, { fills: [1], halfTurn: true });
    expect(viaHalfTurn).toHaveLength(3);
    expect(rounded(viaHalfTurn)).toEqual(rounded(direct));
  });
});
