/**
 * Benchmark inputs: ~1000x1500 JPEG "selfies" (quality 90) cut from the pinned sample photos,
 * so a benchmark needs nothing beyond `npm install`.
 */
import sharp from "sharp";
import { analyzeFaces, stopInference } from "@/lib/inference";
import { samplePhoto } from "@/lib/inference/testing/photos";

/** A 1000x1500 portrait JPEG around the n-th face (left to right) of a sample photo. */
export async function selfie(file: string, nth: number): Promise<Buffer> {
  const photo = samplePhoto(file);
  const analysis = await analyzeFaces(photo, { liveness: false });
  const face = [...analysis.faces].sort((a, b) => a.box.x1 - b.box.x1)[nth];
  if (!face) throw new Error(`${file} has no face number ${nth}`);
  const meta = await sharp(photo).metadata();
  // 2:3 window, 2.6 face heights tall, centred on the face, kept inside the photo.
  const h = Math.min(meta.height!, Math.round((face.box.y2 - face.box.y1) * 2.6));
  const w = Math.round((h * 2) / 3);
  const cx = (face.box.x1 + face.box.x2) / 2;
  const cy = (face.box.y1 + face.box.y2) / 2;
  const left = Math.max(0, Math.min(meta.width! - w, Math.round(cx - w / 2)));
  const top = Math.max(0, Math.min(meta.height! - h, Math.round(cy - h / 2.4)));
  return sharp(photo).extract({ left, top, width: w, height: h }).resize(1000, 1500, { fit: "fill" }).jpeg({ quality: 90 }).toBuffer();
}

/**
 * The pair bench/inference.ts measures (two different people), then the inference workers
 * are stopped: a load test must leave the CPU to the server it measures.
 */
export async function twoPeopleSelfies(): Promise<{ probe: Buffer; reference: Buffer }> {
  try {
    const [probe, reference] = [await selfie("sample3.jpg", 0), await selfie("sample6.jpg", 1)];
    return { probe, reference };
  } finally {
    await stopInference();
  }
}
