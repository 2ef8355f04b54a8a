import "server-only";
import { readFileSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { AppError } from "@/lib/errors";
import { getEnv } from "@/lib/env";
import type { AnalyzeOptions, FaceAnalysis } from "./analyze";
import type { DocumentAnalysis, DocumentAnalysisOptions } from "./document/analyze";
import type { ImageInput } from "./image";
import type { WorkerEvent, WorkerReply, WorkerRequest, WorkerResults } from "./protocol";

/**
 * A pool of inference worker threads, one per core by default.
 *
 * onnxruntime-node runs every session synchronously on the thread that calls it, so a
 * server that ran the models on its main thread would do one model at a time and stall its
 * event loop for the length of each. Workers run requests in parallel and keep the main
 * thread free for HTTP.
 */
interface Job {
  request: WorkerRequest;
  enqueued: number;
  resolve: (result: WorkerResults[keyof WorkerResults]) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Jobs sent to this worker, oldest first; it runs them in order. */
  jobs: Job[];
}

/**
 * Jobs a worker holds at once: the one it runs and the next, so it never waits for a round
 * trip through the main thread between two images.
 */
const JOBS_PER_WORKER = 2;

/**
 * The worker's entry: the prebuilt bundle (scripts/build-worker.mjs) while it is newer than
 * every source it was built from, since it starts about 0.4 s sooner; otherwise the
 * TypeScript sources through tsx, so an edited source is never run stale.
 */
function workerEntry(): string {
  // turbopackIgnore: these files are run by worker threads, never bundled into the server.
  const root = /* turbopackIgnore: true */ process.cwd();
  try {
    const meta = JSON.parse(readFileSync(join(/* turbopackIgnore: true */ root, ".vigil", "inference-worker.json"), "utf8")) as { builtAt: number; inputs: string[] };
    if (meta.inputs.length > 0 && meta.inputs.every((file) => statSync(/* turbopackIgnore: true */ file).mtimeMs <= meta.builtAt)) {
      return join(/* turbopackIgnore: true */ root, ".vigil", "inference-worker.mjs");
    }
  } catch {
    // No bundle, or a source it lists is gone: use the sources.
  }
  return join(/* turbopackIgnore: true */ root, "lib", "inference", "worker-entry.mjs");
}

class InferencePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** Resolves when every worker has loaded and warmed its models. */
  readonly ready: Promise<void>;

  constructor(readonly size: number) {
    const starts: Array<Promise<void>> = [];
    for (let i = 0; i < size; i++) starts.push(this.spawn());
    this.ready = Promise.all(starts).then(() => undefined);
    // Callers see the failure through `ready` or `run`; never as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  private spawn(): Promise<void> {
    const entry = workerEntry();
    // lib/ files import "server-only", which resolves to an empty module under this condition.
    const execArgv = process.execArgv.includes("--conditions=react-server") ? process.execArgv : [...process.execArgv, "--conditions=react-server"];
    const worker = new Worker(entry, { execArgv });
    const slot: Slot = { worker, ready: false, jobs: [] };
    this.slots.push(slot);
    return new Promise<void>((resolve, reject) => {
      worker.on("message", (message: WorkerEvent | WorkerReply) => {
        if ("type" in message) {
          if (message.type === "ready") {
            slot.ready = true;
            resolve();
            this.dispatch();
            this.refWhileBusy(slot);
          } else {
            reject(new AppError("MODELS_UNAVAILABLE", message.message));
            void worker.terminate();
          }
          return;
        }
        const index = slot.jobs.findIndex((j) => j.request.id === message.id);
        if (index >= 0) {
          const [job] = slot.jobs.splice(index, 1);
          if (message.ok) job.resolve(message.result);
          else job.reject(new AppError(message.error.code, message.error.message, message.error.details));
        }
        this.dispatch();
        this.refWhileBusy(slot);
      });
      worker.on("error", (error) => {
        console.error("vigil: inference worker failed:", error);
      });
      worker.on("exit", () => {
        this.slots.splice(this.slots.indexOf(slot), 1);
        for (const job of slot.jobs.splice(0)) job.reject(new AppError("INTERNAL", "The inference worker stopped while analysing the image."));
        if (!slot.ready) {
          reject(new AppError("MODELS_UNAVAILABLE", "An inference worker could not start; see the server log."));
          return;
        }
        // A worker that died after it was ready is replaced; queued jobs wait for it.
        if (!this.closed) this.spawn().catch((error) => console.error("vigil: could not replace an inference worker:", error));
      });
    });
  }

  /**
   * A worker keeps the process alive while it starts or has work, and not when idle, so a
   * script that used the pool exits when it is done.
   */
  private refWhileBusy(slot: Slot): void {
    if (slot.jobs.length > 0) slot.worker.ref();
    else slot.worker.unref();
  }

  private dispatch(): void {
    // Fill idle workers first, then give each a second job to follow on with.
    for (let depth = 1; depth <= JOBS_PER_WORKER; depth++) {
      for (const slot of this.slots) {
        if (!slot.ready || slot.jobs.length >= depth) continue;
        const job = this.queue.shift();
        if (!job) return;
        slot.jobs.push(job);
        slot.worker.ref();
        const transfer = typeof job.request.image === "string" ? [] : [job.request.image.buffer as ArrayBuffer];
        slot.worker.postMessage(job.request, transfer);
      }
    }
  }

  run(image: ImageInput, options: AnalyzeOptions): Promise<FaceAnalysis> {
    return this.submit<"analyze">(image, (id, payload) => ({ id, op: "analyze", image: payload, options }));
  }

  runDocument(image: ImageInput, options: DocumentAnalysisOptions): Promise<DocumentAnalysis> {
    return this.submit<"document">(image, (id, payload) => ({ id, op: "document", image: payload, options }));
  }

  private submit<Op extends keyof WorkerResults>(image: ImageInput, makeRequest: (id: number, payload: Uint8Array | string) => WorkerRequest): Promise<WorkerResults[Op]> {
    if (this.closed) return Promise.reject(new AppError("INTERNAL", "The inference pool is shut down."));
    // A private copy of the bytes: its buffer is transferred, and the caller keeps its own.
    const payload = typeof image === "string" ? image : new Uint8Array(image);
    const enqueued = performance.now();
    return new Promise<WorkerResults[Op]>((resolve, reject) => {
      const request = makeRequest(this.nextId++, payload);
      this.queue.push({
        request,
        enqueued,
        resolve: (result) => {
          const total = performance.now() - enqueued;
          result.timingsMs.queue = Math.round((total - result.timingsMs.total) * 100) / 100;
          result.timingsMs.total = Math.round(total * 100) / 100;
          resolve(result as WorkerResults[Op]);
        },
        reject,
      });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new AppError("INTERNAL", "The inference pool is shut down."));
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}

// One pool per process, kept on globalThis so that hot reloads in development reuse it.
const globalKey = Symbol.for("vigil.inferencePool");
type PoolHolder = { [globalKey]?: InferencePool };

/** The process-wide pool, started on first use. A pool whose workers failed to load is replaced on the next call. */
export function getInferencePool(): InferencePool {
  const holder = globalThis as PoolHolder;
  let pool = holder[globalKey];
  if (!pool) {
    pool = new InferencePool(getEnv().VIGIL_INFERENCE_CONCURRENCY ?? availableParallelism());
    const created = pool;
    holder[globalKey] = created;
    created.ready.catch(() => {
      if (holder[globalKey] === created) delete holder[globalKey];
      void created.close();
    });
  }
  return pool;
}

/** Starts the workers and waits until every one has loaded and warmed its models. */
export async function startInference(): Promise<{ workers: number; ms: number }> {
  const started = performance.now();
  const pool = getInferencePool();
  await pool.ready;
  return { workers: pool.size, ms: performance.now() - started };
}

export async function stopInference(): Promise<void> {
  const holder = globalThis as PoolHolder;
  const pool = holder[globalKey];
  delete holder[globalKey];
  await pool?.close();
}

/**
 * Analyses the faces in an image on a worker thread: every face with landmarks; for the
 * subject, its embedding, quality and (unless `liveness: false`) selfie liveness. With
 * `faceCrop: true` the image is taken as a tight crop of one face and not searched for faces
 * (1:N search crops; no liveness). Throws AppError with the image and face codes of `analyzeImage`.
 */
export async function analyzeFaces(image: ImageInput, options: AnalyzeOptions = {}): Promise<FaceAnalysis> {
  const pool = getInferencePool();
  await pool.ready;
  return pool.run(image, options);
}

/**
 * Document liveness of one photo of an identity document, on a worker thread: the outline
 * (corners in input pixels), the rectified document's portrait with its face embedding
 * (front side), the screen, print and digital cues, and a score 0..1 (1 - the most probable
 * attack). Document problems come back as `error` with `score: null`; unreadable images
 * throw AppError with the image codes of `analyzeImage`.
 */
export async function analyzeDocument(image: ImageInput, options: DocumentAnalysisOptions = {}): Promise<DocumentAnalysis> {
  const pool = getInferencePool();
  await pool.ready;
  return pool.runDocument(image, options);
}
