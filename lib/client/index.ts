import type { z } from "zod";
import type { ApiErrorCode } from "@/lib/errors";
import { errorBodySchema } from "@/lib/openapi/responses";
import type {
  CollectionList,
  CollectionView,
  CompareFacesResponse,
  DetectFacesResponse,
  FaceLivenessResponse,
  FaceReportView,
  PersonList,
  PersonView,
  SearchResponse,
  Verification,
  VerificationList,
  VerifyPersonResponse,
} from "@/lib/openapi/responses";
// Request types only: the schemas themselves are server code (type imports are erased).
import type { addFacesSchema, collectionCreateSchema, collectionUpdateSchema, personCreateSchema, personListSchema, personUpdateSchema, searchSchema, verifyPersonSchema } from "@/lib/search/native-input";
import type { createVerificationSchema, verificationListQuerySchema } from "@/lib/verification/native-input";
import { clientOperations } from "./operations";
import type { ClientOperationId } from "./operations";

/**
 * A typed client for Vigil's native API (/api/v1), written from the OpenAPI registry's
 * operations and response schemas (see ./operations.ts). Errors arrive as VigilApiError with
 * the stable code; with `validateResponses` every answer is checked against its response
 * schema (a mismatch throws VigilContractError), which the project's own API tests turn on.
 *
 * ```ts
 * const vigil = createVigilClient({ baseUrl: "http://localhost:3000", apiKey: process.env.VIGIL_KEY });
 * const { verification } = await vigil.createVerification({ selfie: await readFile("selfie.jpg"), reference: await readFile("id.jpg") });
 * ```
 */

/** An image: bytes (sent as a file where the endpoint takes multipart, else as base64), or base64 / a data: URL. */
export type ImageData = string | Uint8Array | Blob;

/** Anything that turns a Request into a Response: `fetch` itself, or an in-process dispatcher in tests. */
export type Transport = (request: Request) => Promise<Response>;

export interface VigilClientOptions {
  /** Where Vigil answers, e.g. `http://localhost:3000`. */
  baseUrl: string;
  /** The API key (`vgl_...`), sent as `Authorization: Bearer`. */
  apiKey?: string | null;
  /** Defaults to the global `fetch`. */
  fetch?: Transport;
  /** Check every answer against its response schema (default false). */
  validateResponses?: boolean;
  /** Extra headers on every request (e.g. X-Request-Id). */
  headers?: Record<string, string>;
}

/** An error answer of the native API: `{ error: { code, message, details? }, requestId }`. */
export class VigilApiError extends Error {
  readonly status: number;
  /** The stable code (lib/errors.ts); `HTTP_<status>` when the body was not Vigil's error shape. */
  readonly code: ApiErrorCode | `HTTP_${number}`;
  readonly details: Record<string, unknown> | undefined;
  readonly requestId: string | null;

  constructor(status: number, code: VigilApiError["code"], message: string, details: Record<string, unknown> | undefined, requestId: string | null) {
    super(message);
    this.name = "VigilApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }
}

/** An answer that does not match the described response schema (only with `validateResponses`). */
export class VigilContractError extends Error {
  readonly operationId: string;
  readonly status: number;
  readonly issues: z.core.$ZodIssue[];

  constructor(operationId: string, status: number, issues: z.core.$ZodIssue[]) {
    super(`${operationId} answered ${status} with a body that does not match its schema: ${issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
    this.name = "VigilContractError";
    this.operationId = operationId;
    this.status = status;
    this.issues = issues;
  }
}

type ImageFields<T, K extends keyof T> = Omit<T, K> & { [P in K]?: ImageData };

export type CreateVerificationInput = ImageFields<Omit<z.input<typeof createVerificationSchema>, "references">, "selfie" | "reference" | "document" | "documentBack"> & { references?: ImageData[] };
export type ListVerificationsQuery = Partial<z.input<typeof verificationListQuerySchema>>;
export type CollectionCreateInput = z.input<typeof collectionCreateSchema>;
export type CollectionUpdateInput = z.input<typeof collectionUpdateSchema>;
export type PersonCreateInput = Omit<z.input<typeof personCreateSchema>, "images"> & { images: ImageData[] };
export type PersonUpdateInput = z.input<typeof personUpdateSchema>;
export type ListPersonsQuery = Partial<z.input<typeof personListSchema>>;
export type AddFacesInput = { images: ImageData[] } & Omit<z.input<typeof addFacesSchema>, "images">;
export type VerifyPersonInput = Omit<z.input<typeof verifyPersonSchema>, "image"> & { image: ImageData };
export type SearchInput = Omit<z.input<typeof searchSchema>, "image"> & { image: ImageData };

/** A body as sent: JSON, or multipart when any image is bytes and the endpoint takes files. */
type Body = { json: unknown } | { form: FormData } | undefined;

const isBytes = (value: unknown): value is Uint8Array | Blob => value instanceof Uint8Array || (typeof Blob !== "undefined" && value instanceof Blob);

/** Base64 of bytes, in Node and in browsers. */
export async function toBase64(image: ImageData): Promise<string> {
  if (typeof image === "string") return image;
  const bytes = image instanceof Uint8Array ? image : new Uint8Array(await image.arrayBuffer());
  if (typeof Buffer !== "undefined") return Buffer.from(bytes).toString("base64");
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Every image field as a base64 string (for JSON-only endpoints). */
async function imagesAsBase64<T extends Record<string, unknown>>(input: T, fields: string[]): Promise<T> {
  const out: Record<string, unknown> = { ...input };
  for (const field of fields) {
    const value = out[field];
    if (Array.isArray(value)) out[field] = await Promise.all(value.map((v) => toBase64(v as ImageData)));
    else if (value !== undefined) out[field] = await toBase64(value as ImageData);
  }
  return out as T;
}

/** JSON when every value is text; multipart (images as files, repeated parts for arrays) when any image is bytes. */
function jsonOrForm(input: Record<string, unknown>): Body {
  const values = Object.values(input).flatMap((v) => (Array.isArray(v) ? v : [v]));
  if (!values.some(isBytes)) return { json: input };
  const form = new FormData();
  for (const [name, value] of Object.entries(input)) {
    for (const part of Array.isArray(value) ? value : [value]) {
      if (part === undefined || part === null) continue;
      if (isBytes(part)) form.append(name, part instanceof Blob ? part : new Blob([part as Uint8Array<ArrayBuffer>]), name);
      else form.append(name, String(part));
    }
  }
  return { form };
}

function queryString(query: Record<string, unknown> | undefined): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined && value !== null) params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : "";
}

export interface VigilClient {
  /** Runs a verification; `replayed` is true when the Idempotency-Key matched an earlier request. */
  createVerification(input: CreateVerificationInput, options?: { idempotencyKey?: string }): Promise<{ verification: Verification; replayed: boolean }>;
  listVerifications(query?: ListVerificationsQuery): Promise<VerificationList>;
  getVerification(id: string): Promise<Verification>;
  getFaceReport(id: string): Promise<FaceReportView>;
  detectFaces(input: { image: ImageData }): Promise<DetectFacesResponse>;
  compareFaces(input: { image1: ImageData; image2: ImageData }): Promise<CompareFacesResponse>;
  checkFaceLiveness(input: { image: ImageData }): Promise<FaceLivenessResponse>;
  listCollections(): Promise<CollectionList>;
  createCollection(input: CollectionCreateInput): Promise<CollectionView>;
  getCollection(idOrCode: string): Promise<CollectionView>;
  updateCollection(idOrCode: string, input: CollectionUpdateInput): Promise<CollectionView>;
  deleteCollection(idOrCode: string): Promise<void>;
  listPersons(query?: ListPersonsQuery): Promise<PersonList>;
  createPerson(input: PersonCreateInput): Promise<PersonView>;
  getPerson(id: string): Promise<PersonView>;
  updatePerson(id: string, input: PersonUpdateInput): Promise<PersonView>;
  deletePerson(id: string): Promise<void>;
  addFaces(personId: string, input: AddFacesInput): Promise<PersonView>;
  deleteFace(personId: string, faceId: string): Promise<void>;
  verifyPerson(personId: string, input: VerifyPersonInput): Promise<VerifyPersonResponse>;
  searchFaces(input: SearchInput): Promise<SearchResponse>;
  /** Fetches an image by the signed URL an answer gave (`url`, `imageUrl`); the URL is the credential. */
  getImage(signedUrl: string): Promise<{ bytes: Uint8Array; contentType: string }>;
}

export function createVigilClient(options: VigilClientOptions): VigilClient {
  const transport: Transport = options.fetch ?? ((request) => fetch(request));
  const base = options.baseUrl.replace(/\/+$/, "");

  /** Sends one operation and answers its status, headers and parsed body; non-2xx throws VigilApiError. */
  async function send(operationId: ClientOperationId, path: string, init: { body?: Body; headers?: Record<string, string>; auth?: boolean; absoluteUrl?: string } = {}) {
    const { method } = clientOperations[operationId];
    const headers = new Headers(options.headers);
    if (init.auth !== false && options.apiKey) headers.set("authorization", `Bearer ${options.apiKey}`);
    for (const [name, value] of Object.entries(init.headers ?? {})) headers.set(name, value);
    let body: BodyInit | undefined;
    if (init.body && "json" in init.body) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(init.body.json);
    } else if (init.body && "form" in init.body) {
      body = init.body.form;
    }
    const response = await transport(new Request(init.absoluteUrl ?? `${base}${path}`, { method, headers, body }));
    if (!response.ok) throw await toApiError(response);
    return response;
  }

  async function toApiError(response: Response): Promise<VigilApiError> {
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: a proxy's page, say. Reported with the HTTP status as the code.
    }
    const body = errorBodySchema.safeParse(parsed);
    if (!body.success) {
      if (options.validateResponses && parsed !== null) throw new VigilContractError("error", response.status, body.error.issues);
      return new VigilApiError(response.status, `HTTP_${response.status}`, text.slice(0, 500) || response.statusText, undefined, response.headers.get("x-request-id"));
    }
    const { error, requestId } = body.data;
    return new VigilApiError(response.status, error.code, error.message, error.details, requestId);
  }

  /** The JSON body of a success answer, checked against the operation's schema for that status when asked. */
  async function json<T>(operationId: ClientOperationId, response: Response): Promise<T> {
    const body: unknown = await response.json();
    if (options.validateResponses) {
      const schemas = clientOperations[operationId].responses as Record<number, z.ZodType | null>;
      const schema = schemas[response.status];
      if (!schema) throw new VigilContractError(operationId, response.status, [{ code: "custom", path: [], message: `status ${response.status} is not a described answer`, input: body }]);
      const checked = schema.safeParse(body);
      if (!checked.success) throw new VigilContractError(operationId, response.status, checked.error.issues);
    }
    return body as T;
  }

  async function empty(operationId: ClientOperationId, response: Response): Promise<void> {
    if (options.validateResponses && (response.status !== 204 || (await response.text()) !== "")) {
      throw new VigilContractError(operationId, response.status, [{ code: "custom", path: [], message: "expected 204 with no body", input: null }]);
    }
  }

  const at = (template: string, values: Record<string, string>) => template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name]));
  const path = (operationId: ClientOperationId, values: Record<string, string> = {}) => at(clientOperations[operationId].path, values);

  return {
    async createVerification(input, opts = {}) {
      const response = await send("createVerification", path("createVerification"), {
        body: jsonOrForm(input as Record<string, unknown>),
        headers: opts.idempotencyKey ? { "idempotency-key": opts.idempotencyKey } : {},
      });
      return { verification: await json<Verification>("createVerification", response), replayed: response.headers.get("idempotent-replayed") === "true" };
    },
    async listVerifications(query) {
      return json("listVerifications", await send("listVerifications", `${path("listVerifications")}${queryString(query)}`));
    },
    async getVerification(id) {
      return json("getVerification", await send("getVerification", path("getVerification", { id })));
    },
    async getFaceReport(id) {
      return json("getFaceReport", await send("getFaceReport", path("getFaceReport", { id })));
    },
    async detectFaces(input) {
      return json("detectFaces", await send("detectFaces", path("detectFaces"), { body: jsonOrForm(input) }));
    },
    async compareFaces(input) {
      return json("compareFaces", await send("compareFaces", path("compareFaces"), { body: jsonOrForm(input) }));
    },
    async checkFaceLiveness(input) {
      return json("checkFaceLiveness", await send("checkFaceLiveness", path("checkFaceLiveness"), { body: jsonOrForm(input) }));
    },
    async listCollections() {
      return json("listCollections", await send("listCollections", path("listCollections")));
    },
    async createCollection(input) {
      return json("createCollection", await send("createCollection", path("createCollection"), { body: { json: input } }));
    },
    async getCollection(id) {
      return json("getCollection", await send("getCollection", path("getCollection", { id })));
    },
    async updateCollection(id, input) {
      return json("updateCollection", await send("updateCollection", path("updateCollection", { id }), { body: { json: input } }));
    },
    async deleteCollection(id) {
      return empty("deleteCollection", await send("deleteCollection", path("deleteCollection", { id })));
    },
    async listPersons(query) {
      return json("listPersons", await send("listPersons", `${path("listPersons")}${queryString(query)}`));
    },
    async createPerson(input) {
      return json("createPerson", await send("createPerson", path("createPerson"), { body: { json: await imagesAsBase64(input, ["images"]) } }));
    },
    async getPerson(id) {
      return json("getPerson", await send("getPerson", path("getPerson", { id })));
    },
    async updatePerson(id, input) {
      return json("updatePerson", await send("updatePerson", path("updatePerson", { id }), { body: { json: input } }));
    },
    async deletePerson(id) {
      return empty("deletePerson", await send("deletePerson", path("deletePerson", { id })));
    },
    async addFaces(id, input) {
      return json("addFaces", await send("addFaces", path("addFaces", { id }), { body: { json: await imagesAsBase64(input, ["images"]) } }));
    },
    async deleteFace(id, faceId) {
      return empty("deleteFace", await send("deleteFace", path("deleteFace", { id, faceId })));
    },
    async verifyPerson(id, input) {
      return json("verifyPerson", await send("verifyPerson", path("verifyPerson", { id }), { body: { json: await imagesAsBase64(input, ["image"]) } }));
    },
    async searchFaces(input) {
      return json("searchFaces", await send("searchFaces", path("searchFaces"), { body: { json: await imagesAsBase64(input, ["image"]) } }));
    },
    async getImage(signedUrl) {
      const response = await send("getImage", "", { auth: false, absoluteUrl: signedUrl });
      return { bytes: new Uint8Array(await response.arrayBuffer()), contentType: response.headers.get("content-type") ?? "application/octet-stream" };
    },
  };
}
