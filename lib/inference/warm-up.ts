import "server-only";
import { getSessionPool, runModel } from "./models";

/**
 * Creates every model session and runs each once on zeros, so ORT's allocations and kernel
 * selection happen at start-up, not on the first request. Returns the time taken in ms.
 */
export async function warmUp(): Promise<number> {
  const started = performance.now();
  const pool = await getSessionPool();
  await Promise.all(
    pool.sets.map(async (set) => {
      await runModel(set.detect, new Float32Array(3 * 240 * 320), [1, 3, 240, 320]);
      await runModel(set.landmark, new Float32Array(64 * 64), [1, 1, 64, 64]);
      await runModel(set.feature, new Float32Array(3 * 112 * 112), [1, 3, 112, 112]);
      await runModel(set.liveness, new Float32Array(3 * 128 * 128), [1, 3, 128, 128]);
    }),
  );
  return performance.now() - started;
}
