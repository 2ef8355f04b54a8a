import sharp from "sharp";
import { analyzeFaces } from "@/lib/inference";
import { squareBox } from "@/lib/inference/detect";
import { cropAround, samplePhoto } from "@/lib/inference/testing/photos";

/**
 * Faces for the gallery suites, cut from the sample photos. `a1` and `a2` are one person in
 * two different photos (cosine about 0.70: the approve band); `a1b` is `a1` cut tighter,
 * brighter and recompressed, a second enrollment image of the same person; `aCrop` is a tight
 * 112 x 112 face crop of `a2`. `b` and `c` are two other people, each in the reject band with
 * `a2` and with each other (lib/inference/analyze.test.ts).
 */
export interface GalleryFaces {
  a1: Buffer;
  a1b: Buffer;
  a2: Buffer;
  aCrop: Buffer;
  b: Buffer;
  c: Buffer;
}

async function faceBoxes(sample: string) {
  return [...(await analyzeFaces(samplePhoto(sample), { liveness: false })).faces].sort((x, y) => x.box.x1 - y.box.x1);
}

export async function galleryFaces(): Promise<GalleryFaces> {
  const [s1, s3, s5] = await Promise.all([faceBoxes("sample1.jpg"), faceBoxes("sample3.jpg"), faceBoxes("sample5.jpg")]);
  const photo1 = samplePhoto("sample1.jpg");
  const photo3 = samplePhoto("sample3.jpg");
  const a1 = await cropAround(photo1, s1[2].box, 0.8);
  const a1b = await sharp(await cropAround(photo1, s1[2].box, 0.5)).modulate({ brightness: 1.1 }).jpeg({ quality: 70 }).toBuffer();
  const a2 = await cropAround(photo3, s3[1].box, 0.8);
  const square = squareBox(s3[1].box);
  const oriented = await sharp(photo3).autoOrient().toBuffer();
  const meta = await sharp(oriented).metadata();
  const left = Math.max(0, Math.round(square.x1));
  const top = Math.max(0, Math.round(square.y1));
  const side = Math.min(meta.width! - left, meta.height! - top, Math.round(square.x2 - square.x1));
  const aCrop = await sharp(oriented).extract({ left, top, width: side, height: side }).resize(112, 112, { fit: "fill" }).jpeg({ quality: 90 }).toBuffer();
  return { a1, a1b, a2, aCrop, b: await cropAround(samplePhoto("sample5.jpg"), s5[0].box, 0.8), c: await cropAround(samplePhoto("sample5.jpg"), s5[1].box, 0.8) };
}
