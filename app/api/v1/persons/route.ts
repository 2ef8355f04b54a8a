import { actorOf, authenticateApiKey } from "@/lib/auth/api-keys";
import { readJson } from "@/lib/http/body";
import { apiKeyOf, getServices, originOf } from "@/lib/http/context";
import { nativeRoute, parseInput } from "@/lib/http/native";
import { personCreateSchema, personListSchema } from "@/lib/search/native-input";
import { createPerson, listPersons } from "@/lib/search/persons";
import type { PersonList } from "@/lib/openapi/responses";
import { presentPerson } from "@/lib/search/present";

export const dynamic = "force-dynamic";

/** Enrolled persons, newest first; `before` is the previous page's `nextCursor`. */
export const GET = nativeRoute(async (request) => {
  const { db } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request), { scope: "search" });
  const query = parseInput(personListSchema, Object.fromEntries(new URL(request.url).searchParams));
  const page = await listPersons(db, { projectId: caller.project.id, ...query });
  const origin = originOf(request);
  return Response.json({ object: "list", data: page.persons.map((p) => presentPerson(p, actorOf(caller), origin)), nextCursor: page.next } satisfies PersonList);
});

/**
 * Enrolls a person with 1-5 face images of one person; optionally only when every image
 * passes liveness (`livenessMin`) and nobody enrolled matches already (`duplicateCheck`).
 */
export const POST = nativeRoute(async (request) => {
  const { db, store } = await getServices();
  const caller = await authenticateApiKey(db, apiKeyOf(request), { scope: "search" });
  const input = parseInput(personCreateSchema, await readJson(request));
  const person = await createPerson(db, store, {
    projectId: caller.project.id,
    actor: actorOf(caller),
    name: input.name,
    externalRef: input.externalRef,
    metadata: input.metadata,
    collections: input.collections,
    images: input.images,
    livenessMin: input.livenessMin,
    duplicateMin: input.duplicateCheck?.minSimilarity ?? null,
    duplicateScope: input.duplicateCheck?.collections ?? null,
  });
  return Response.json(presentPerson(person, actorOf(caller), originOf(request)), { status: 201 });
});
