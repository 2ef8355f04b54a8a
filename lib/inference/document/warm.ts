import "server-only";
import sharp from "sharp";
import { analyzeDocumentImage } from "./analyze";
import { loadOpenCv } from "./opencv";

/** Rounds of the warm-up (see warmDocumentPipeline). */
const WARM_ROUNDS = 3;

/**
 * Loads OpenCV and runs the document pipeline on a drawn card (a light rectangle of ID-1
 * proportions on a darker, noisy desk, 1280 x 720): as a front side, which has the portrait
 * search look for a face on it plainly and enhanced (there is none), then as a back side, so
 * that every cue runs. The first real request finds the WebAssembly module compiled and the
 * hot loops optimised, WARM_ROUNDS times: V8 optimises a function fully only after it has
 * run a few times. Measured on a front side after start (tmp script, three starts each): the
 * first took 822-828 ms with one back-side round, 745-772 ms with one round of both sides and
 * 631-680 ms with three, against about 300-450 ms once warm; the rounds cost about a second of
 * a worker's idle time at start. Called by the inference worker while it warms up.
 *
 * The warm-up runs beside the worker's face requests, and the front side runs the face
 * detector: each detector pass has an input buffer of its own until the model has read it
 * (detect.ts), so neither sees the other's image.
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
  for (let round = 0; round < WARM_ROUNDS; round++) {
    await analyzeDocumentImage(jpeg, { side: "front" });
    await analyzeDocumentImage(jpeg, { side: "back" });
  }
}
