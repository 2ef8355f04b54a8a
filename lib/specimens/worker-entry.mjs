// Entry point of a specimen worker thread. Node loads it directly, so it boots tsx to load
// the TypeScript worker with the project's path aliases (as lib/inference/worker-entry.mjs).
import { tsImport } from "tsx/esm/api";

await tsImport("./worker.ts", import.meta.url);
