import { and, desc, eq, lt } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { verifications } from "@/db/schema";
import { actorOf, authenticateApiKey, callerFields, requireScope } from "@/lib/auth/api-keys";
import { readBody } from "@/lib/http/body";
import { apiKeyOf, getServices, idempotencyKeyOf, originOf } from "@/lib/http/context";
import { nativeRoute, parseInput } from "@/lib/http/native";
import { runDocumentVerification } from "@/lib/verification/document";
import { parseVerificationRequest, verificationListQuerySchema } from "@/lib/verification/native-input";
import type { VerificationList } from "@/lib/openapi/responses";
import { presentVerification } from "@/lib/verification/present";
import { hashRequest, hydrate, runFaceVerification } from "@/lib/verification/service";

export const dynamic = "force-dynamic";

/**
 * Runs a verification: selfie liveness, face match against a reference, or both; or a
 * document check, with the selfie matched against the document's portrait when given.
 */
export const POST = nativeRoute(async (request, requestId) => {
  const { db, store } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request));
  const input = parseVerificationRequest(await readBody(request));
  requireScope(caller, input.kind === "document" ? "documents" : "verify");
  const idempotencyKey = idempotencyKeyOf(request);
  const common = { ...callerFields(caller), source: "native" as const, requestId, idempotencyKey, externalRef: input.externalRef };
  const { record, replayed } =
    input.kind === "document"
      ? await runDocumentVerification(db, store, {
          ...common,
          front: input.document,
          back: input.documentBack,
          selfie: input.selfie,
          requestHash: hashRequest([input.type, input.document, input.documentBack, input.selfie, input.externalRef]),
        })
      : await runFaceVerification(db, store, {
          ...common,
          type: input.type,
          selfie: input.selfie,
          references: input.references,
          referenceRole: "reference",
          requestHash: hashRequest([input.type, input.selfie, ...input.references, input.externalRef]),
        });
  return Response.json(presentVerification(record, actorOf(caller), originOf(request)), {
    status: replayed ? 200 : 201,
    headers: replayed ? { "idempotent-replayed": "true" } : {},
  });
});

/** Lists the project's verifications, newest first, with cursor pagination (`nextCursor`). */
export const GET = nativeRoute(async (request) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request));
  const query = parseInput(verificationListQuerySchema, Object.fromEntries(new URL(request.url).searchParams));
  const filters: SQL[] = [eq(verifications.projectId, caller.project.id)];
  if (query.status) filters.push(eq(verifications.status, query.status));
  if (query.type) filters.push(eq(verifications.type, query.type));
  if (query.source) filters.push(eq(verifications.source, query.source));
  // Ids are time-ordered, so "older than the cursor" is "id below it".
  if (query.cursor) filters.push(lt(verifications.id, query.cursor));
  const rows = await db.select().from(verifications).where(and(...filters)).orderBy(desc(verifications.id)).limit(query.limit + 1);
  const page = await hydrate(db, rows.slice(0, query.limit));
  const origin = originOf(request);
  return Response.json({
    object: "list",
    data: page.map((r) => presentVerification(r, actorOf(caller), origin)),
    nextCursor: rows.length > query.limit ? page[page.length - 1].id : null,
  } satisfies VerificationList);
});
