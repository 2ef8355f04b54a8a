import { deflateSync } from "node:zlib";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { errorCodeOf } from "@/lib/testing/errors";
import { decodeImage, readImageHeader, sniffFormat, toImageBytes } from "./image";
import { samplePhoto } from "./testing/photos";


function crc32(bytes: Buffer): number {
  let crc = ~0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A real PNG that declares 20000 x 20000 pixels: a decompression bomb in a few hundred bytes. */
function bombPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(20000, 0);
  ihdr.writeUInt32BE(20000, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const row = Buffer.alloc(1 + 20000 * 3);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", deflateSync(Buffer.concat([row, row]))),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

describe("toImageBytes", () => {
  const jpeg = samplePhoto("sample1.jpg");

  it("accepts raw bytes, base64 and data URLs alike", () => {
    const b64 = jpeg.toString("base64");
    expect(toImageBytes(b64).equals(jpeg)).toBe(true);
    expect(toImageBytes(`data:image/jpeg;base64,${b64}`).equals(jpeg)).toBe(true);
    expect(toImageBytes(jpeg.toString("base64url")).equals(jpeg)).toBe(true);
  });

  it("rejects text that is not base64", async () => {
    expect(await errorCodeOf(() => toImageBytes("this is not base64!"))).toBe("INVALID_IMAGE");
    expect(await errorCodeOf(() => toImageBytes(""))).toBe("INVALID_IMAGE");
  });
});

describe("readImageHeader", () => {
  it("names the format of real images and the containers it refuses", async () => {
    expect(sniffFormat(samplePhoto("sample1.jpg"))).toBe("jpeg");
    const gif = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");
    expect(sniffFormat(gif)).toBe("gif");
    expect(await errorCodeOf(() => readImageHeader(gif))).toBe("UNSUPPORTED_FORMAT");
  });

  it("rejects a non-image, a truncated JPEG, a 20000x20000 PNG and a tiny image with their codes", async () => {
    const jpeg = samplePhoto("sample2.jpg");
    expect(await errorCodeOf(() => readImageHeader(Buffer.from("%%% definitely not an image %%%")))).toBe("INVALID_IMAGE");
    const truncated = jpeg.subarray(0, Math.floor(jpeg.length / 2));
    expect(
      await errorCodeOf(async () => {
        const header = await readImageHeader(truncated);
        await decodeImage(truncated, header);
      }),
    ).toBe("INVALID_IMAGE");
    expect(await errorCodeOf(() => readImageHeader(bombPng()))).toBe("IMAGE_TOO_LARGE");
    const tiny = await sharp({ create: { width: 20, height: 20, channels: 3, background: "#888" } }).png().toBuffer();
    expect(await errorCodeOf(() => readImageHeader(tiny))).toBe("IMAGE_TOO_SMALL");
  });

  it("applies EXIF orientation to the reported size and the pixels", async () => {
    const rotated = await sharp(samplePhoto("sample1.jpg")).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const header = await readImageHeader(rotated);
    expect([header.width, header.height, header.orientation]).toEqual([1280, 1920, 6]);
    const image = await decodeImage(rotated, header, 4);
    expect([image.width, image.height]).toEqual([320, 480]);
  });

  it("decodes greyscale images to three equal channels", async () => {
    const grey = await sharp(samplePhoto("sample3.jpg")).greyscale().jpeg().toBuffer();
    const header = await readImageHeader(grey);
    const image = await decodeImage(grey, header, 8);
    expect(image.data.length).toBe(image.width * image.height * 3);
    expect(image.data[300]).toBe(image.data[301]);
    expect(image.data[301]).toBe(image.data[302]);
  });
});
