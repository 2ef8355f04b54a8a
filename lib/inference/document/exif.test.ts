import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { readCameraMetadata } from "./exif";

describe("camera metadata", () => {
  it("reads make and model from a JPEG's EXIF and reports none for a bare file", async () => {
    const pixels = sharp({ create: { width: 64, height: 48, channels: 3, background: "#808080" } });
    const withExif = await pixels
      .clone()
      .jpeg()
      .withExif({ IFD0: { Make: "Acme", Model: "Phone 7" } })
      .toBuffer();
    const camera = readCameraMetadata((await sharp(withExif).metadata()).exif);
    expect(camera).toMatchObject({ exif: true, make: "Acme", model: "Phone 7" });
    const bare = await pixels.clone().jpeg().toBuffer();
    expect(readCameraMetadata((await sharp(bare).metadata()).exif)).toMatchObject({ exif: false, make: null, model: null });
  });
});
