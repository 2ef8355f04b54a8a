import { readFileSync } from "node:fs";
import { join } from "node:path";
import type * as ort from "onnxruntime-node";
import manifest from "@/models/manifest.json";
import { flushDenormalWeights } from "../onnx-denormals";

/** A pinned model's bytes as a worker first loads them: denormal weights flushed, not rewritten. */
export function loadFlushedModel(key: keyof typeof manifest.models): Uint8Array {
  const bytes = readFileSync(join(process.cwd(), "models", manifest.models[key].file));
  flushDenormalWeights(bytes);
  return bytes;
}

/** The session options that matter for comparing a model with its rewrite: those of lib/inference/models.ts. */
export const testSessionOptions: ort.InferenceSession.SessionOptions = {
  graphOptimizationLevel: "all",
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  extra: { session: { set_denormal_as_zero: "1" } },
};
