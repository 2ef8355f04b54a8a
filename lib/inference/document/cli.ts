import "server-only";
import { readFile } from "node:fs/promises";
import { analyzeDocument } from "../pool";
import type { DocumentSide } from "./analyze";
import { documentAnalysisToJson } from "./serialize";

/**
 * `npm run vigil -- doc-liveness <img>`: prints one JSON object with `score` (null when an
 * error stopped the check), `error` (a document error code or null), `corners` (input
 * pixels, clockwise from the top-left) and every cue. Unreadable images throw the image
 * AppErrors of analyzeDocument for the CLI's error handler.
 */
export async function docLivenessCli(file: string, side: DocumentSide = "front"): Promise<void> {
  const bytes = await readFile(file);
  const analysis = await analyzeDocument(bytes, { side });
  process.stdout.write(`${JSON.stringify(documentAnalysisToJson(analysis))}\n`);
}
