import "server-only";
import { parentPort } from "node:worker_threads";
import { isAppError } from "@/lib/errors";
import { analyzeImage } from "./analyze";
import { analyzeDocumentImage } from "./document/analyze";
import { warmDocumentPipeline } from "./document/warm";
import { getModelSet, runModel } from "./models";
import type { WorkerEvent, WorkerReply, WorkerRequest } from "./protocol";

/**
 * An inference worker: one set of model sessions, one request at a time. Creates and warms
 * its face sessions before it says it is ready, so the first request pays for none of
 * them. The document pipeline (OpenCV's WebAssembly and its hot loops, about 1.5-2 s, see
 * document/warm.ts) warms later, when the worker has been idle for a moment or when the
 * first document arrives, so a server's first face result does not wait for it.
 */
async function warm(): Promise<number> {
  const started = performance.now();
  const set = await getModelSet();
  await runModel(set.detect, new Float32Array(3 * 240 * 320), [1, 3, 240, 320]);
  await runModel(set.landmark, new Float32Array(64 * 64), [1, 1, 64, 64]);
  await runModel(set.feature, new Float32Array(3 * 112 * 112), [1, 3, 112, 112]);
  await runModel(set.liveness, new Float32Array(3 * 128 * 128), [1, 3, 128, 128]);
  return performance.now() - started;
}

/** How long the worker must be idle before it warms the document pipeline unasked. */
const DOCUMENT_WARM_IDLE_MS = 150;

let documentWarm: Promise<void> | undefined;
function warmDocuments(): Promise<void> {
  documentWarm ??= warmDocumentPipeline().catch((error: unknown) => {
    // The first document request loads it again and reports the failure itself.
    documentWarm = undefined;
    console.error("vigil inference worker: could not warm the document pipeline:", error);
  });
  return documentWarm;
}

let pending = 0;
let idleTimer: ReturnType<typeof setTimeout> | undefined;
function warmDocumentsWhenIdle(): void {
  clearTimeout(idleTimer);
  if (documentWarm) return;
  idleTimer = setTimeout(() => {
    if (pending === 0) void warmDocuments();
  }, DOCUMENT_WARM_IDLE_MS);
  idleTimer.unref();
}

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  try {
    if (request.op === "document") await warmDocuments();
    const result = request.op === "document" ? await analyzeDocumentImage(request.image, request.options) : await analyzeImage(request.image, request.options);
    return { id: request.id, ok: true, result };
  } catch (error) {
    if (isAppError(error)) return { id: request.id, ok: false, error: { code: error.code, message: error.message, details: error.details } };
    console.error("vigil inference worker:", error);
    return { id: request.id, ok: false, error: { code: "INTERNAL", message: "Inference failed." } };
  }
}

/** Buffers that move to the main thread instead of being copied: embeddings and the portrait JPEG. */
function transferList(reply: WorkerReply): ArrayBuffer[] {
  if (!reply.ok) return [];
  const result = reply.result;
  if ("subject" in result) return [result.subject.embedding.buffer as ArrayBuffer];
  if (result.portrait) return [result.portrait.face.embedding.buffer as ArrayBuffer, result.portrait.jpeg.buffer as ArrayBuffer];
  return [];
}

const port = parentPort;
if (!port) throw new Error("worker.ts must run in a worker thread");

warm().then(
  (warmUpMs) => {
    port.postMessage({ type: "ready", warmUpMs } satisfies WorkerEvent);
    warmDocumentsWhenIdle();
  },
  (error: unknown) =>
    port.postMessage({
      type: "failed",
      code: isAppError(error) ? error.code : "MODELS_UNAVAILABLE",
      message: error instanceof Error ? error.message : String(error),
    } satisfies WorkerEvent),
);

// One request at a time, in arrival order: the pool may send the next one early.
let previous: Promise<void> = Promise.resolve();
port.on("message", (request: WorkerRequest) => {
  pending++;
  clearTimeout(idleTimer);
  previous = previous.then(async () => {
    const reply = await handle(request);
    port.postMessage(reply, transferList(reply));
    if (--pending === 0) warmDocumentsWhenIdle();
  });
});
