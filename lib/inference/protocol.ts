import type { ErrorCode } from "@/lib/errors";
import type { AnalyzeOptions, FaceAnalysis } from "./analyze";
import type { DocumentAnalysis, DocumentAnalysisOptions } from "./document/analyze";

/** Messages between the pool (main thread) and an inference worker. */
export type WorkerRequest =
  | { id: number; op: "analyze"; image: Uint8Array | string; options: AnalyzeOptions }
  | { id: number; op: "document"; image: Uint8Array | string; options: DocumentAnalysisOptions };

/** What each operation answers with. */
export interface WorkerResults {
  analyze: FaceAnalysis;
  document: DocumentAnalysis;
}

export type WorkerReply =
  | { id: number; ok: true; result: WorkerResults[keyof WorkerResults] }
  | { id: number; ok: false; error: { code: ErrorCode; message: string; details?: Record<string, unknown> } };

export type WorkerEvent = { type: "ready"; warmUpMs: number } | { type: "failed"; code: ErrorCode; message: string };
