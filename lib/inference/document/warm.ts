import "server-only";
import sharp from "sharp";
import { analyzeDocumentImage } from "./analyze";
import { loadOpenCv } from "./opencv";

/**
 * Loads OpenCV and runs the document pipeline once on a drawn card (a light rectangle of
 * ID-1 proportions on a darker, noisy desk, 1280 x 720), back side so that every cue runs,
 * so the first real request finds the WebAssembly module compiled and the hot loops
 * optimised. Called by the inference worker while it warms up.
 *
 * Never as a front side: the warm-up runs beside the worker's face requests, and the portrait
 * search would run the face detector, whose input buffer (detect.ts) one detection at a time
 * owns. Tried: face requests then saw another image's letterbox and missed a second face.
 */
export async function warmDocumentPipeline(): Promise<void> {
  await loadOpenCv();
  const width = 1280, height = 720;
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 12345;
  const noise = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24) / 32 - 4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const card = x >= 300 && x < 980 && y >= 146 && y < 575;
      const base = card ? [222, 214, 200] : [70, 60, 52];
      for (let c = 0; c < 3; c++) pixels[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, base[c] + noise()));
    }
  }
  const jpeg = await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  await analyzeDocumentImage(jpeg, { side: "back" });
}
