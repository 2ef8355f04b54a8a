import "server-only";
import { randomUUID } from "node:crypto";
import { and, asc, count, eq, inArray, or } from "drizzle-orm";
import type { Database, Transaction } from "@/db/client";
import { collections, personCollections } from "@/db/schema";
import { AppError } from "@/lib/errors";
import { newId } from "@/lib/ids";
import { appendAudit } from "@/lib/review/audit";
import { touchGallery } from "./exact";

export type Collection = typeof collections.$inferSelect;
export type CollectionWithCount = Collection & { personCount: number };

export interface CollectionInput {
  name: string;
  description?: string;
}

function cleanName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new AppError("INVALID_REQUEST", "name must not be empty", { field: "name" });
  if (trimmed.length > 200) throw new AppError("INVALID_REQUEST", "name must be at most 200 characters", { field: "name" });
  return trimmed;
}

export async function createCollection(db: Database, input: CollectionInput & { projectId: string; actor: string }): Promise<Collection> {
  const now = new Date();
  const row = { id: newId("col"), projectId: input.projectId, code: randomUUID(), name: cleanName(input.name), description: (input.description ?? "").trim(), createdAt: now, updatedAt: now };
  await db.transaction(async (tx) => {
    await tx.insert(collections).values(row);
    await appendAudit(tx, { actor: input.actor, action: "collection.created", projectId: input.projectId, after: { id: row.id, name: row.name } });
  });
  return row;
}

export async function listCollections(db: Database, projectId: string): Promise<CollectionWithCount[]> {
  const rows = await db.select().from(collections).where(eq(collections.projectId, projectId)).orderBy(asc(collections.createdAt));
  if (rows.length === 0) return [];
  const counts = await db
    .select({ collectionId: personCollections.collectionId, n: count() })
    .from(personCollections)
    .where(inArray(personCollections.collectionId, rows.map((r) => r.id)))
    .groupBy(personCollections.collectionId);
  const byId = new Map(counts.map((c) => [c.collectionId, Number(c.n)]));
  return rows.map((r) => ({ ...r, personCount: byId.get(r.id) ?? 0 }));
}

/** A collection of the project by its id or its public code; NOT_FOUND otherwise. */
export async function getCollection(db: Database | Transaction, projectId: string, idOrCode: string): Promise<Collection> {
  const [row] = await db
    .select()
    .from(collections)
    .where(and(eq(collections.projectId, projectId), or(eq(collections.id, idOrCode), eq(collections.code, idOrCode))))
    .limit(1);
  if (!row) throw new AppError("NOT_FOUND", `No collection ${idOrCode} in this project.`, { collection: idOrCode });
  return row;
}

/** Collection ids for ids or codes given by a caller; an unknown one is NOT_FOUND. */
export async function resolveCollections(db: Database | Transaction, projectId: string, idsOrCodes: string[]): Promise<string[]> {
  const unique = [...new Set(idsOrCodes)];
  if (unique.length === 0) return [];
  const rows = await db
    .select({ id: collections.id, code: collections.code })
    .from(collections)
    .where(and(eq(collections.projectId, projectId), or(inArray(collections.id, unique), inArray(collections.code, unique))));
  const missing = unique.filter((c) => !rows.some((r) => r.id === c || r.code === c));
  if (missing.length > 0) throw new AppError("NOT_FOUND", `No collection ${missing[0]} in this project.`, { collection: missing[0] });
  return [...new Set(rows.map((r) => r.id))];
}

export async function updateCollection(db: Database, input: Partial<CollectionInput> & { projectId: string; idOrCode: string; actor: string }): Promise<Collection> {
  return db.transaction(async (tx) => {
    const before = await getCollection(tx, input.projectId, input.idOrCode);
    const changes = {
      ...(input.name !== undefined ? { name: cleanName(input.name) } : {}),
      ...(input.description !== undefined ? { description: input.description.trim() } : {}),
      updatedAt: new Date(),
    };
    const [after] = await tx.update(collections).set(changes).where(eq(collections.id, before.id)).returning();
    await appendAudit(tx, { actor: input.actor, action: "collection.updated", projectId: input.projectId, before: { id: before.id, name: before.name, description: before.description }, after: { name: after.name, description: after.description } });
    return after;
  });
}

/** Deletes a collection; its persons stay enrolled (in their other collections, or in none). */
export async function deleteCollection(db: Database, input: { projectId: string; idOrCode: string; actor: string }): Promise<Collection> {
  return db.transaction(async (tx) => {
    const row = await getCollection(tx, input.projectId, input.idOrCode);
    await tx.delete(collections).where(eq(collections.id, row.id));
    await touchGallery(tx, input.projectId);
    await appendAudit(tx, { actor: input.actor, action: "collection.deleted", projectId: input.projectId, before: { id: row.id, name: row.name } });
    return row;
  });
}
