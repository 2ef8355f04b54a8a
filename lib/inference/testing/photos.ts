import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import type { Box } from "../geometry";

/** The pinned sample photos (models/manifest.json), fetched at install. */
export function samplePhoto(name: string): Buffer {
  const file = join(process.cwd(), "samples", name);
  if (!existsSync(file)) throw new Error(`${file} is missing: run 'npm run fetch-assets'`);
  return readFileSync(file);
}

/**
 * Crops `box` grown by `margin` (a fraction of the box on each side) out of a photo, clamped
 * to the image, as a JPEG.
 */
export async function cropAround(photo: Buffer, box: Box, margin: number, quality = 92): Promise<Buffer> {
  const meta = await sharp(photo).autoOrient().metadata();
  const width = meta.autoOrient?.width ?? meta.width!;
  const height = meta.autoOrient?.height ?? meta.height!;
  const w = box.x2 - box.x1;
  const h = box.y2 - box.y1;
  const left = Math.max(0, Math.round(box.x1 - w * margin));
  const top = Math.max(0, Math.round(box.y1 - h * margin));
  const right = Math.min(width, Math.round(box.x2 + w * margin));
  const bottom = Math.min(height, Math.round(box.y2 + h * margin));
  return sharp(photo).autoOrient().extract({ left, top, width: right - left, height: bottom - top }).jpeg({ quality }).toBuffer();
}

/**
 * Two different people, side by side in sample6.jpg, cut out as selfie-like JPEGs (left one
 * first): the pair the storage suites make verifications from.
 */
export async function twoPeople(): Promise<[Buffer, Buffer]> {
  const { analyzeFaces } = await import("../pool");
  const photo = samplePhoto("sample6.jpg");
  const faces = [...(await analyzeFaces(photo, { liveness: false })).faces].sort((a, b) => a.box.x1 - b.box.x1);
  return [await cropAround(photo, faces[0].box, 0.8), await cropAround(photo, faces[1].box, 0.8)];
}
