/**
 * A small HTTP client for the benchmarks: Node's built-in fetch (undici) through one
 * keep-alive agent, the verification request of either endpoint, and the native read API
 * (list with cursor pagination, one record, its signed image URLs).
 */
import type { Dispatcher } from "undici-types";

export type Endpoint = "verifik" | "native";

export const ENDPOINT_PATHS: Record<Endpoint, string> = {
  verifik: "/v2/face-recognition/compare-with-liveness",
  native: "/api/v1/verifications",
};

/**
 * A keep-alive undici Agent for the built-in fetch. Node bundles undici but does not export
 * its classes and the `undici` package is not a dependency, so the Agent class is taken from
 * the global dispatcher, which Node installs when fetch is first used.
 */
export async function keepAliveAgent(connections = 256): Promise<Dispatcher> {
  await (await fetch("data:,")).arrayBuffer();
  const global = (globalThis as Record<symbol, Dispatcher | undefined>)[Symbol.for("undici.globalDispatcher.1")];
  if (!global) throw new Error("Node's fetch installed no global undici dispatcher");
  const Agent = global.constructor as new (options: object) => Dispatcher;
  // Idle sockets are kept a minute so that a pause between load steps does not reconnect.
  return new Agent({ connections, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000, pipelining: 1 });
}

/** A request body encoded once and sent many times. */
export type EncodedBody = Uint8Array<ArrayBuffer>;

/** The JSON body of one verification of `probe` against `reference` on either endpoint, encoded once. */
export function verificationBody(endpoint: Endpoint, probe: Buffer, reference: Buffer): EncodedBody {
  const body =
    endpoint === "verifik"
      ? {
          os: "DESKTOP",
          probe: `data:image/jpeg;base64,${probe.toString("base64")}`,
          gallery: [`data:image/jpeg;base64,${reference.toString("base64")}`],
          search_mode: "FAST",
          compare_min_score: 0.67,
          liveness_min_score: 0.6,
        }
      : { selfie: probe.toString("base64"), reference: reference.toString("base64") };
  return new Uint8Array(Buffer.from(JSON.stringify(body)));
}

/** fetch with undici's `dispatcher` option, which the DOM RequestInit type does not declare. */
function fetchWith(agent: Dispatcher, url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, dispatcher: agent } as RequestInit);
}

export interface Client {
  baseUrl: string;
  apiKey: string;
  agent: Dispatcher;
  timeoutMs: number;
}

export interface PostOutcome {
  /** HTTP status, or null on a network error or time-out. */
  status: number | null;
  /** The verification id a 2xx answer names. */
  verificationId: string | null;
  /** Short description of a failure: `HTTP 500 InternalError`, `ECONNREFUSED`, `timeout`. */
  error: string | null;
}

function networkError(error: unknown): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) return "timeout";
  const cause = error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined;
  return cause?.code ?? (error instanceof Error ? error.message : String(error));
}

/** The error code of an answer's body, native (`error.code`) or Verifik (`code`); "" when none. */
export function errorCodeOf(text: string): string {
  try {
    const body = JSON.parse(text) as { code?: unknown; error?: { code?: unknown } };
    return String(body.error?.code ?? body.code ?? "");
  } catch {
    return "";
  }
}

/** POSTs one verification and reads the whole answer (latency covers the body). */
export async function postVerification(client: Client, endpoint: Endpoint, body: EncodedBody, requestId: string): Promise<PostOutcome> {
  try {
    const response = await fetchWith(client.agent, `${client.baseUrl}${ENDPOINT_PATHS[endpoint]}`, {
      method: "POST",
      headers: { authorization: `Bearer ${client.apiKey}`, "content-type": "application/json", "x-request-id": requestId },
      body,
      signal: AbortSignal.timeout(client.timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) return { status: response.status, verificationId: null, error: `HTTP ${response.status} ${errorCodeOf(text)}`.trim() };
    const parsed = JSON.parse(text) as { id?: string };
    return { status: response.status, verificationId: response.headers.get("x-verification-id") ?? parsed.id ?? null, error: null };
  } catch (error) {
    return { status: null, verificationId: null, error: networkError(error) };
  }
}

export interface VerificationView {
  id: string;
  images: Array<{ id: string; url: string }>;
}

async function getJson<T>(client: Client, path: string): Promise<{ status: number; body: T | null }> {
  const response = await fetchWith(client.agent, `${client.baseUrl}${path}`, {
    headers: { authorization: `Bearer ${client.apiKey}` },
    signal: AbortSignal.timeout(client.timeoutMs),
  });
  const text = await response.text();
  return { status: response.status, body: response.ok ? (JSON.parse(text) as T) : null };
}

/** Every verification of the key's project, newest first, following `nextCursor` (at most maxPages pages of 100). */
export async function listAllVerifications(client: Client, maxPages = 1_000): Promise<VerificationView[]> {
  const all: VerificationView[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const query: string = cursor ? `?limit=100&cursor=${cursor}` : "?limit=100";
    const { status, body } = await getJson<{ data: VerificationView[]; nextCursor: string | null }>(client, `/api/v1/verifications${query}`);
    if (!body) throw new Error(`listing verifications answered HTTP ${status}`);
    all.push(...body.data);
    cursor = body.nextCursor;
    if (!cursor) return all;
  }
  throw new Error(`more than ${maxPages} pages of verifications`);
}

/** One verification: its HTTP status and, on 200, the record. */
export async function getVerification(client: Client, id: string): Promise<{ status: number; record: VerificationView | null }> {
  const { status, body } = await getJson<VerificationView>(client, `/api/v1/verifications/${id}`);
  return { status, record: body };
}

/** Status of a GET on a signed image URL, body read in full (the bytes are decrypted server-side). */
export async function fetchImageStatus(client: Client, url: string): Promise<number | null> {
  try {
    const response = await fetchWith(client.agent, url, { signal: AbortSignal.timeout(client.timeoutMs) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return null;
  }
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function mapLimited<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
