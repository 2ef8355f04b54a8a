import "server-only";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import manifest from "@/models/manifest.json";
import { AppError } from "@/lib/errors";
import { getEnv } from "@/lib/env";
import { flushDenormalWeights } from "./onnx-denormals";
import { padChannels } from "./onnx-pad-channels";
import { rewritePRelu } from "./onnx-prelu";

export type ModelKey = keyof typeof manifest.models;
export const modelKeys = Object.keys(manifest.models) as ModelKey[];

/** One session of every model; a request holds a whole set while it runs. */
export type ModelSet = Record<ModelKey, ort.InferenceSession>;

/** Id and version of each model, stored with every result it produced. */
export const modelInfo = Object.fromEntries(
  modelKeys.map((key) => [key, { id: manifest.models[key].id, version: manifest.models[key].version, sha256: manifest.models[key].sha256 }]),
) as Record<ModelKey, { id: string; version: string; sha256: string }>;

/**
 * One intra-op thread per session and no spinning: requests run in parallel across worker
 * threads instead, which on 2 cores doubled throughput over ORT's default spinning pool.
 * set_denormal_as_zero only takes effect if the first session of the process has it, so
 * every session gets it.
 */
const sessionOptions: ort.InferenceSession.SessionOptions = {
  executionProviders: ["cpu"],
  graphOptimizationLevel: "all",
  executionMode: "sequential",
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  enableCpuMemArena: true,
  extra: {
    session: {
      intra_op: { allow_spinning: "0" },
      inter_op: { allow_spinning: "0" },
      set_denormal_as_zero: "1",
    },
  },
};

export function modelsDir(): string {
  // turbopackIgnore: the models are read at run time, not traced into the build.
  return getEnv().VIGIL_MODELS_DIR ?? join(/* turbopackIgnore: true */ process.cwd(), "models");
}

async function loadModelBytes(key: ModelKey): Promise<Uint8Array> {
  const entry = manifest.models[key];
  const file = join(modelsDir(), entry.file);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new AppError("MODELS_UNAVAILABLE", `Model file ${file} is missing. Run 'npm run fetch-assets' to fetch the pinned models.`);
  }
  const digest = createHash("sha256").update(bytes).digest("hex");
  if (digest !== entry.sha256) {
    throw new AppError("MODELS_UNAVAILABLE", `Model file ${file} does not match its pinned sha256. Run 'npm run fetch-assets' to fetch it again.`);
  }
  flushDenormalWeights(bytes);
  // Faster forms of the same networks: together they halve the time of the embedding and
  // liveness models. Channel padding moves liveness logits by float rounding (about 1e-6);
  // the PRelu rewrite changes no output bit.
  return rewritePRelu(padChannels(bytes).model).model;
}

let modelSet: Promise<ModelSet> | undefined;

async function createModelSet(): Promise<ModelSet> {
  const bytes = await Promise.all(modelKeys.map(loadModelBytes));
  const sessions = await Promise.all(bytes.map((model) => ort.InferenceSession.create(model, sessionOptions)));
  return Object.fromEntries(modelKeys.map((key, k) => [key, sessions[k]])) as ModelSet;
}

/**
 * This thread's sessions, created on first use. onnxruntime-node runs a session synchronously
 * on the calling thread, so parallelism comes from worker threads (pool.ts), one set each.
 */
export function getModelSet(): Promise<ModelSet> {
  if (!modelSet) {
    modelSet = createModelSet();
    // A failed load (a missing model) must not poison the thread: the next call retries.
    modelSet.catch(() => {
      modelSet = undefined;
    });
  }
  return modelSet;
}

/** Runs a model with one float32 input named `input`; returns the named outputs' data. */
export async function runModel(session: ort.InferenceSession, input: Float32Array, dims: readonly number[]): Promise<Record<string, Float32Array>> {
  const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", input, dims) };
  const results = await session.run(feeds);
  const out: Record<string, Float32Array> = {};
  for (const name of session.outputNames) out[name] = results[name].data as Float32Array;
  return out;
}
