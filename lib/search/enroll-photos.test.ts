import { describe, expect, it } from "vitest";
import { SERVER_ACTION_BODY_BYTES } from "@/lib/photo-files";
import { checkEnrollPhotos, enrollUploadBytes } from "./enroll-photos";

const MiB = 1024 * 1024;
const limits = { maxImages: 5, maxImageBytes: 15 * MiB, maxTotalBytes: 30 * MiB };
const jpeg = (size: number) => ({ size, type: "image/jpeg" });

describe("checkEnrollPhotos", () => {
  it("accepts one to five photos within the limits", () => {
    expect(checkEnrollPhotos([jpeg(200_000)], limits)).toBeNull();
    expect(checkEnrollPhotos([jpeg(MiB), { size: MiB, type: "image/png" }, { size: MiB, type: "image/webp" }, jpeg(MiB), jpeg(MiB)], limits)).toBeNull();
    // Untyped files are left to the server, which reads the bytes.
    expect(checkEnrollPhotos([{ size: 1000, type: "" }, { size: 1000, type: "application/octet-stream" }], limits)).toBeNull();
  });

  it("refuses no photo and too many photos with the API's INVALID_REQUEST wording", () => {
    expect(checkEnrollPhotos([], limits)).toEqual({ code: "INVALID_REQUEST", message: "images: at least one image is required", index: null });
    expect(checkEnrollPhotos(Array.from({ length: 6 }, () => jpeg(1000)), limits)).toEqual({ code: "INVALID_REQUEST", message: "images: at most 5 images per request", index: null });
  });

  it("names the photo that is too large, empty or of a refused format", () => {
    expect(checkEnrollPhotos([jpeg(1000), jpeg(15 * MiB + 1)], limits)).toEqual({ code: "IMAGE_TOO_LARGE", message: `images[1]: The image is larger than ${15 * MiB} bytes.`, index: 1 });
    expect(checkEnrollPhotos([jpeg(15 * MiB)], limits)).toBeNull();
    expect(checkEnrollPhotos([jpeg(0)], limits)).toMatchObject({ code: "INVALID_IMAGE", index: 0 });
    expect(checkEnrollPhotos([jpeg(1000), { size: 1000, type: "image/heic" }], limits)).toEqual({ code: "UNSUPPORTED_FORMAT", message: "images[1]: HEIF images are not supported; send JPEG, PNG or WebP.", index: 1 });
    expect(checkEnrollPhotos([{ size: 1000, type: "text/plain" }], limits)).toEqual({ code: "INVALID_IMAGE", message: "images[0]: The data is not an image.", index: 0 });
  });

  it("refuses photos that are each allowed but too large together", () => {
    const problem = checkEnrollPhotos([jpeg(14 * MiB), jpeg(14 * MiB), jpeg(3 * MiB)], limits);
    expect(problem).toMatchObject({ code: "BODY_TOO_LARGE", index: null });
    expect(problem?.message).toContain("31.0 MB");
    expect(problem?.message).toContain("30.0 MB");
  });
});

describe("enrollUploadBytes", () => {
  it("is what the API's JSON body carries in base64, within the server action's body limit", () => {
    // The default VIGIL_MAX_BODY_BYTES (40 MiB) carries 30 MiB of images as base64.
    expect(enrollUploadBytes(40 * MiB)).toBe(30 * MiB);
    expect(enrollUploadBytes(8 * MiB)).toBe(6 * MiB);
    // A larger API body cannot pass the server action's limit: capped below it.
    expect(enrollUploadBytes(400 * MiB)).toBeLessThan(SERVER_ACTION_BODY_BYTES);
    expect(enrollUploadBytes(400 * MiB)).toBe(30 * MiB);
  });
});
