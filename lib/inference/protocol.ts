import type { ErrorCode } from "@/lib/errors";
import type { AnalyzeOptions, FaceAnalysis } from "./analyze";

/** Messages between the pool (main thread) and an inference worker. */
export type WorkerRequest = { id: number; op: "analyze"; image: Uint8Array | string; options: AnalyzeOptions };

export type WorkerReply =
  | { id: number; ok: true; result: FaceAnalysis }
  | { id: number; ok: false; error: { code: ErrorCode; message: string; details?: Record<string, unknown> } };

export type WorkerEvent = { type: "ready"; warmUpMs: number } | { type: "failed"; code: ErrorCode; message: string };
