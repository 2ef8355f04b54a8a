import "server-only";
import sharp, { type Metadata, type OutputInfo, type Sharp } from "sharp";
import { AppError } from "@/lib/errors";
import { getEnv } from "@/lib/env";

/** Raw bytes, or a string holding base64 or a `data:image/...;base64,` URL. */
export type ImageInput = Uint8Array | string;

export type ImageFormat = "jpeg" | "png" | "webp";

/** Interleaved 8-bit RGB pixels, row-major (HWC). */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** What is known of an encoded image from its header alone, orientation applied. */
export interface ImageHeader {
  format: ImageFormat;
  /** Width and height after EXIF orientation. */
  width: number;
  height: number;
  bytes: number;
  /** 1 for greyscale sources. */
  channels: number;
  orientation: number;
}

/** Smallest side accepted: below this no face is big enough for the detector's finest anchors. */
export const MIN_IMAGE_SIDE = 40;

const base64Pattern = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;
const base64UrlPattern = /^[A-Za-z0-9\-_\s]*={0,2}\s*$/;
const dataUrlPattern = /^data:([a-z0-9.+/-]*)?(;[a-z0-9=.+-]+)*;base64,/i;

/**
 * Turns raw bytes, base64 or a data URL into bytes. Throws INVALID_IMAGE for strings that
 * are not valid base64 (so a caller learns that the encoding, not the picture, is wrong).
 */
export function toImageBytes(input: ImageInput): Buffer {
  if (typeof input !== "string") return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let text = input;
  const dataUrl = dataUrlPattern.exec(text);
  if (dataUrl) text = text.slice(dataUrl[0].length);
  text = text.trim();
  if (text.length === 0) throw new AppError("INVALID_IMAGE", "The image is empty.");
  const maxBytes = getEnv().VIGIL_MAX_IMAGE_BYTES;
  if (text.length > Math.ceil((maxBytes * 4) / 3) + 4) {
    throw new AppError("IMAGE_TOO_LARGE", `The image is larger than ${maxBytes} bytes.`, { maxBytes });
  }
  const isUrlSafe = !base64Pattern.test(text) && base64UrlPattern.test(text);
  if (!base64Pattern.test(text) && !isUrlSafe) {
    throw new AppError("INVALID_IMAGE", "The image is not valid base64.");
  }
  const bytes = Buffer.from(text, isUrlSafe ? "base64url" : "base64");
  if (bytes.length === 0) throw new AppError("INVALID_IMAGE", "The image is empty.");
  return bytes;
}

/** Identifies a container by its magic bytes; `null` when it is no image format we know. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | "gif" | "tiff" | "bmp" | "heif" | "avif" | "pdf" | "svg" | null {
  const ascii = (start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (bytes.length >= 8 && ascii(1, 4) === "PNG" && bytes[0] === 0x89) return "png";
  if (bytes.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "webp";
  if (bytes.length >= 6 && ascii(0, 4) === "GIF8") return "gif";
  if (bytes.length >= 4 && (ascii(0, 4) === "II*\0" || ascii(0, 4) === "MM\0*")) return "tiff";
  if (bytes.length >= 2 && ascii(0, 2) === "BM") return "bmp";
  if (bytes.length >= 12 && ascii(4, 8) === "ftyp") return /avi[fs]/.test(ascii(8, 12)) ? "avif" : "heif";
  if (bytes.length >= 4 && ascii(0, 4) === "%PDF") return "pdf";
  const head = ascii(0, Math.min(bytes.length, 256)).trimStart().toLowerCase();
  if (head.startsWith("<svg") || (head.startsWith("<?xml") && head.includes("<svg"))) return "svg";
  return null;
}

function sharpFor(bytes: Buffer, limitPixels = true) {
  // failOn "truncated": a JPEG cut short is rejected, while the harmless warnings that many
  // phone encoders trigger are not. limitInputPixels is libvips' own bomb guard; the header
  // is read without it so that an oversized image gets IMAGE_TOO_LARGE, not INVALID_IMAGE.
  return sharp(bytes, { failOn: "truncated", limitInputPixels: limitPixels ? getEnv().VIGIL_MAX_IMAGE_PIXELS : false });
}

/**
 * Reads and validates the header: format, size limits (bytes and pixels, before any pixel is
 * decoded), and the minimum size. Throws UNSUPPORTED_FORMAT, INVALID_IMAGE, IMAGE_TOO_LARGE
 * or IMAGE_TOO_SMALL.
 */
export async function readImageHeader(bytes: Buffer): Promise<ImageHeader> {
  const { VIGIL_MAX_IMAGE_BYTES: maxBytes, VIGIL_MAX_IMAGE_PIXELS: maxPixels } = getEnv();
  if (bytes.length > maxBytes) {
    throw new AppError("IMAGE_TOO_LARGE", `The image is larger than ${maxBytes} bytes.`, { maxBytes, bytes: bytes.length });
  }
  const sniffed = sniffFormat(bytes);
  if (sniffed === null) throw new AppError("INVALID_IMAGE", "The data is not an image.");
  if (sniffed !== "jpeg" && sniffed !== "png" && sniffed !== "webp") {
    throw new AppError("UNSUPPORTED_FORMAT", `${sniffed.toUpperCase()} images are not supported; send JPEG, PNG or WebP.`, {
      format: sniffed,
    });
  }
  let meta: Metadata;
  try {
    meta = await sharpFor(bytes, false).metadata();
  } catch {
    throw new AppError("INVALID_IMAGE", `The ${sniffed.toUpperCase()} data is corrupt or incomplete.`);
  }
  if (!meta.width || !meta.height) throw new AppError("INVALID_IMAGE", "The image has no dimensions.");
  if (meta.width * meta.height > maxPixels) {
    throw new AppError("IMAGE_TOO_LARGE", `The image has ${meta.width}x${meta.height} pixels; the limit is ${maxPixels} pixels.`, {
      width: meta.width,
      height: meta.height,
      maxPixels,
    });
  }
  const orientation = meta.orientation ?? 1;
  const swap = orientation >= 5 && orientation <= 8;
  const width = swap ? meta.height : meta.width;
  const height = swap ? meta.width : meta.height;
  if (Math.min(width, height) < MIN_IMAGE_SIDE) {
    throw new AppError("IMAGE_TOO_SMALL", `The image is ${width}x${height} pixels; each side must be at least ${MIN_IMAGE_SIDE}.`, {
      width,
      height,
      minSide: MIN_IMAGE_SIDE,
    });
  }
  return { format: sniffed, width, height, bytes: bytes.length, channels: meta.channels ?? 3, orientation };
}

function decodeFailed(format: ImageFormat): AppError {
  return new AppError("INVALID_IMAGE", `The ${format.toUpperCase()} data is corrupt or incomplete.`);
}

async function toRgb(pipeline: Sharp, format: ImageFormat): Promise<RgbImage> {
  let result: { data: Buffer; info: OutputInfo };
  try {
    // keepIccProfile skips the colour-profile transform, which cost 35 ms on a 2.5 MP phone
    // photo with an embedded sRGB profile; the face models are insensitive to gamut.
    result = await pipeline.keepIccProfile().removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
  } catch {
    throw decodeFailed(format);
  }
  const { data, info } = result;
  if (info.channels === 3) return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  // Greyscale sources can come back with one band; spread it over R, G and B.
  const rgb = new Uint8Array(info.width * info.height * 3);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += info.channels) {
    rgb[i] = rgb[i + 1] = rgb[i + 2] = data[j];
  }
  return { data: rgb, width: info.width, height: info.height };
}

/**
 * Decodes with EXIF orientation applied, shrunk by `shrink` (>= 1). For JPEG libvips decodes
 * straight to a half, quarter or eighth when the shrink allows (DCT scaling), which is cheaper
 * than decoding at full size and resizing afterwards.
 */
export async function decodeImage(bytes: Buffer, header: ImageHeader, shrink = 1): Promise<RgbImage> {
  let pipeline = sharpFor(bytes).autoOrient();
  if (shrink > 1) {
    pipeline = pipeline.resize({
      width: Math.ceil(header.width / shrink),
      height: Math.ceil(header.height / shrink),
      fit: "fill",
      fastShrinkOnLoad: true,
      // What is left after DCT scaling is at most a 2x reduce: bilinear is enough and cheaper.
      kernel: "linear",
    });
  }
  return toRgb(pipeline, header.format);
}
