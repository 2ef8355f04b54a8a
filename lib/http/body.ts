import { AppError } from "@/lib/errors";
import { getEnv } from "@/lib/env";
import { assertNoNulInForm, assertNoNulInJson } from "./nul";

/** What a request body held: JSON, or multipart form fields and files. */
export type ParsedBody = { kind: "json"; value: unknown } | { kind: "form"; fields: Record<string, string>; files: Record<string, Uint8Array[]> };

/**
 * Reads the body within VIGIL_MAX_BODY_BYTES (checked against Content-Length first, then
 * while streaming, so an oversized upload is cut off early), as JSON or multipart.
 * Throws BODY_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE or INVALID_REQUEST (also for text holding
 * NUL, which no field can store: see ./nul.ts).
 */
export async function readBody(request: Request, accept: Array<"json" | "form"> = ["json", "form"]): Promise<ParsedBody> {
  const max = getEnv().VIGIL_MAX_BODY_BYTES;
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  const isJson = type.startsWith("application/json") || type.endsWith("+json");
  const isForm = type.startsWith("multipart/form-data") || type.startsWith("application/x-www-form-urlencoded");
  if (!((isJson && accept.includes("json")) || (isForm && accept.includes("form")))) {
    const wanted = accept.map((a) => (a === "json" ? "application/json" : "multipart/form-data")).join(" or ");
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", `Send the request as ${wanted}.`, { contentType: type || null });
  }
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > max) throw new AppError("BODY_TOO_LARGE", `The request body is larger than ${max} bytes.`, { maxBytes: max });
  const bytes = await readLimited(request, max);
  if (isJson) {
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new AppError("INVALID_REQUEST", "The request body is not valid JSON.");
    }
    assertNoNulInJson(value);
    return { kind: "json", value };
  }
  let form: FormData;
  try {
    form = await new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]), { headers: { "content-type": type } }).formData();
  } catch {
    throw new AppError("INVALID_REQUEST", "The multipart body could not be parsed.");
  }
  const fields: Record<string, string> = {};
  const files: Record<string, Uint8Array[]> = {};
  for (const [name, value] of form.entries()) {
    if (typeof value === "string") fields[name] = value;
    else (files[name] ??= []).push(new Uint8Array(await value.arrayBuffer()));
  }
  assertNoNulInForm(fields, Object.keys(files));
  return { kind: "form", fields, files };
}

async function readLimited(request: Request, max: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw new AppError("BODY_TOO_LARGE", `The request body is larger than ${max} bytes.`, { maxBytes: max });
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/** The parsed body of a route that takes JSON only (readBody's limits and errors). */
export async function readJson(request: Request): Promise<unknown> {
  const body = await readBody(request, ["json"]);
  return body.kind === "json" ? body.value : undefined;
}
