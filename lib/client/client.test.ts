import { describe, expect, it } from "vitest";
import { nativeOperations } from "@/lib/openapi/native";
import { createVigilClient, VigilApiError, VigilContractError } from "./index";
import type { Transport } from "./index";
import { clientOperations } from "./operations";

/** A transport that records requests and answers with `answer`. */
function stub(answer: (request: Request) => Response | Promise<Response>): { fetch: Transport; seen: Request[] } {
  const seen: Request[] = [];
  return {
    seen,
    fetch: async (request) => {
      seen.push(request);
      return answer(request);
    },
  };
}

const collection = { id: "col_1", object: "collection", code: "c0de", name: "Staff", description: "", createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z" };

describe("the client's operations", () => {
  it("are the registry's native operations: same method, path and response schema per status", () => {
    const keyed = nativeOperations.map((op) => op.operationId).sort();
    expect(Object.keys(clientOperations).sort()).toEqual(keyed);
    for (const op of nativeOperations) {
      const mine = clientOperations[op.operationId as keyof typeof clientOperations];
      expect({ method: mine.method, path: mine.path }, op.operationId).toEqual({ method: op.method, path: op.path });
      const statuses = Object.keys(mine.responses).map(Number).sort();
      expect(statuses, op.operationId).toEqual(op.responses.map((r) => r.status).sort());
      for (const r of op.responses) expect((mine.responses as Record<number, unknown>)[r.status], `${op.operationId} ${r.status}`).toBe(r.schema ?? null);
    }
  });
});

describe("createVigilClient", () => {
  it("sends the key as a bearer token and JSON bodies, and fills path parameters", async () => {
    const t = stub(() => Response.json(collection));
    const client = createVigilClient({ baseUrl: "http://vigil.test/", apiKey: "vgl_x", fetch: t.fetch, validateResponses: true });
    await client.updateCollection("col 1/x", { name: "Staff" });
    const [request] = t.seen;
    expect(request.method).toBe("PATCH");
    expect(request.url).toBe("http://vigil.test/api/v1/collections/col%201%2Fx");
    expect(request.headers.get("authorization")).toBe("Bearer vgl_x");
    expect(request.headers.get("content-type")).toBe("application/json");
    expect(await request.json()).toEqual({ name: "Staff" });
  });

  it("sends image bytes as multipart files where the endpoint takes them, as base64 where it takes JSON", async () => {
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const t = stub(() => new Response("{}", { status: 200, headers: { "content-type": "application/json" } }));
    const client = createVigilClient({ baseUrl: "http://vigil.test", apiKey: "k", fetch: t.fetch });
    await client.createVerification({ selfie: bytes, references: [bytes, bytes], externalRef: "r-1" });
    const form = await t.seen[0].formData();
    expect((form.get("selfie") as File).size).toBe(bytes.length);
    expect(form.getAll("references")).toHaveLength(2);
    expect(form.get("externalRef")).toBe("r-1");
    await client.searchFaces({ image: bytes, limit: 3 });
    expect(await t.seen[1].json()).toEqual({ image: Buffer.from(bytes).toString("base64"), limit: 3 });
    await client.compareFaces({ image1: "aGk=", image2: "aGk=" });
    expect(t.seen[2].headers.get("content-type")).toBe("application/json");
  });

  it("turns an error answer into VigilApiError with the stable code, details and request id", async () => {
    const t = stub(() => Response.json({ error: { code: "NOT_FOUND", message: "No person per_1.", details: { person: "per_1" } }, requestId: "req-1" }, { status: 404 }));
    const client = createVigilClient({ baseUrl: "http://vigil.test", apiKey: "k", fetch: t.fetch, validateResponses: true });
    const error = await client.getPerson("per_1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VigilApiError);
    expect(error).toMatchObject({ status: 404, code: "NOT_FOUND", message: "No person per_1.", details: { person: "per_1" }, requestId: "req-1" });
  });

  it("reports a body that is not Vigil's error shape with the HTTP status as the code", async () => {
    const t = stub(() => new Response("<html>bad gateway</html>", { status: 502 }));
    const client = createVigilClient({ baseUrl: "http://vigil.test", apiKey: "k", fetch: t.fetch });
    await expect(client.listCollections()).rejects.toMatchObject({ status: 502, code: "HTTP_502" });
  });

  it("with validation on, refuses an answer that breaks the response schema, an undescribed status, and an unknown error code", async () => {
    const broken = stub(() => Response.json({ ...collection, createdAt: 42 }));
    const strict = createVigilClient({ baseUrl: "http://vigil.test", apiKey: "k", fetch: broken.fetch, validateResponses: true });
    const error = await strict.getCollection("col_1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VigilContractError);
    expect((error as VigilContractError).issues[0].path).toEqual(["createdAt"]);
    // Validation off: the same body passes through.
    const lax = createVigilClient({ baseUrl: "http://vigil.test", apiKey: "k", fetch: broken.fetch });
    expect((await lax.getCollection("col_1")).createdAt).toBe(42);

    const wrongStatus = stub(() => Response.json(collection, { status: 200 }));
    await expect(createVigilClient({ baseUrl: "http://vigil.test", fetch: wrongStatus.fetch, validateResponses: true }).createCollection({ name: "x" })).rejects.toBeInstanceOf(VigilContractError);

    const oddCode = stub(() => Response.json({ error: { code: "SOMETHING_NEW", message: "?" }, requestId: "r" }, { status: 400 }));
    await expect(createVigilClient({ baseUrl: "http://vigil.test", fetch: oddCode.fetch, validateResponses: true }).listPersons()).rejects.toBeInstanceOf(VigilContractError);
  });

  it("fetches a signed image URL as given, without the API key", async () => {
    const t = stub(() => new Response(new Uint8Array([1, 2, 3]), { headers: { "content-type": "image/jpeg" } }));
    const client = createVigilClient({ baseUrl: "http://vigil.test", apiKey: "k", fetch: t.fetch });
    const image = await client.getImage("http://vigil.test/api/v1/images/img_1?exp=1&by=key%3Ak&sig=s");
    expect(image).toEqual({ bytes: new Uint8Array([1, 2, 3]), contentType: "image/jpeg" });
    expect(t.seen[0].url).toBe("http://vigil.test/api/v1/images/img_1?exp=1&by=key%3Ak&sig=s");
    expect(t.seen[0].headers.get("authorization")).toBeNull();
  });
});
