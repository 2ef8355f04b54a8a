// Entry point of an inference worker thread. Node loads it directly (it is not bundled by
// Next.js), so it boots tsx to load the TypeScript worker with the project's path aliases.
import { tsImport } from "tsx/esm/api";

await tsImport("./worker.ts", import.meta.url);
