import { parentPort } from "node:worker_threads";
import type { PlannedSpecimen } from "./generate";
import { generateBlock } from "./generate";

/**
 * A specimen worker: generates one block (one document and its captures) per message and
 * answers with the rows for labels.csv. The pixel loops are plain JavaScript, so threads are
 * what puts a second core to work.
 */
parentPort?.on("message", (job: { outDir: string; seed: number; items: PlannedSpecimen[] }) => {
  generateBlock(job.outDir, job.seed, job.items).then(
    (rows) => parentPort?.postMessage({ rows }),
    (error: unknown) => parentPort?.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
parentPort?.postMessage({ ready: true });
