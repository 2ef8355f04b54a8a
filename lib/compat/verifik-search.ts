import "server-only";
import type { VerifikCollectionView, VerifikMatchView, VerifikPersonView } from "@/lib/openapi/vendor";
import { and, count, desc, eq, inArray } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import type { Database } from "@/db/client";
import { personCollections, persons } from "@/db/schema";
import { actorOf } from "@/lib/auth/api-keys";
import type { Caller } from "@/lib/auth/api-keys";
import type { ParsedBody } from "@/lib/http/body";
import { roundTo } from "@/lib/round";
import type { Collection } from "@/lib/search/collections";
import { getCollection, resolveCollections } from "@/lib/search/collections";
import { addFaces, createPerson, deletePerson, getPerson, getPersons, MAX_IMAGES_PER_REQUEST, updatePerson } from "@/lib/search/persons";
import type { Person, PersonMetadata } from "@/lib/search/persons";
import { faceImageUrl } from "@/lib/search/present";
import { analyzeProbe, findCandidates, matchPerson } from "@/lib/search/probe";
import type { Candidate } from "@/lib/search/probe";
import { MAX_SEARCH_RESULTS } from "@/lib/search/search";
import type { ImageStore } from "@/lib/storage";
import { getActivePolicy } from "@/lib/verification/policy";
import type { PolicyBands } from "@/lib/verification/policy";
import { formatSignatureDate, fromVerifikScore, invalid, isAbsent, missing, oneOf, OPERATING_SYSTEMS, optionalScore, SEARCH_MODES, SIGNATURE_MESSAGE, toVerifikScore } from "./verifik";
import type { SearchMode } from "./verifik";

/**
 * Verifik-compatible 1:N face search (seed 006): collections, persons, search, search with
 * liveness, search with face crops, and 1:1 verification against an enrolled person.
 *
 * What Vigil fills in:
 * - `collection_id` is a collection's `code`, as Verifik documents; its `_id` is accepted too.
 * - Scores (`score`, `min_score`) are on Verifik's scale: cosine similarity mapped through the
 *   project's face-match bands (toVerifikScore). Liveness scores are Vigil's probabilities.
 * - `thumbnails[].thumbnail` is a signed URL that expires (VIGIL_IMAGE_URL_TTL), not base64:
 *   enrolled faces leave the server only through links attributed to the caller.
 * - Several search `images` (1-3, one person) are combined: each must match the first at the
 *   face-match review threshold, and their mean embedding is searched.
 * - Creating a person with liveness checks liveness before searching for duplicates, so a
 *   spoof learns nothing about who is enrolled.
 */

/** Documented limits (seed 006). */
export const SEARCH_MIN_SCORE_RANGE = { min: 0.2, max: 1 } as const;
export const STRICT_MIN_SCORE_RANGE = { min: 0.5, max: 1 } as const;
export const SEARCH_LIVENESS_MIN_SCORE_RANGE = { min: 0.5, max: 1 } as const;
/** Images per search or verification request ("up to 3 images of the same person"). */
export const MAX_PROBE_IMAGES = 3;
/** Candidates when `max_results` is not sent (the documented examples ask for 10). */
export const DEFAULT_MAX_RESULTS = 10;
/** Create-with-liveness defaults (seed 006: "Default is usually around 0.8", "A value of 0.65 is typical"). */
export const DEFAULT_DUPLICATE_MIN_SCORE = 0.8;
export const DEFAULT_ENROLL_LIVENESS_MIN_SCORE = 0.65;

type Fields = Record<string, unknown>;

function fieldsOf(body: ParsedBody | null): Fields {
  return body && body.kind === "json" && typeof body.value === "object" && body.value !== null && !Array.isArray(body.value) ? (body.value as Fields) : {};
}

function requiredString(fields: Fields, field: string): string {
  const value = fields[field];
  if (isAbsent(value) || (typeof value === "string" && value.trim() === "")) throw missing(field);
  if (typeof value !== "string") throw invalid(field, "must be a string");
  return value.trim();
}

function optionalString(fields: Fields, field: string, max = 2000): string | undefined {
  const value = fields[field];
  if (isAbsent(value)) return undefined;
  if (typeof value !== "string") throw invalid(field, "must be a string");
  if (value.length > max) throw invalid(field, `must be at most ${max} characters`);
  return value.trim();
}

function requiredImages(fields: Fields, field: string, max: number): string[] {
  const value = fields[field];
  if (isAbsent(value) || (Array.isArray(value) && value.length === 0)) throw missing(field);
  if (!Array.isArray(value)) throw invalid(field, "must be an array of base64 images");
  if (value.length > max) throw invalid(field, `must hold at most ${max} images`);
  return value.map((image, i) => {
    if (typeof image !== "string" || image === "") throw invalid(`${field}[${i}]`, "must be a base64 image or a data URL");
    return image;
  });
}

function requiredScore(fields: Fields, field: string, range: { min: number; max: number }): number {
  const score = optionalScore(field, fields[field], range);
  if (score === null) throw missing(field);
  return score;
}

function stringList(fields: Fields, field: string): string[] | undefined {
  const value = fields[field];
  if (isAbsent(value)) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "")) throw invalid(field, "must be an array of collection codes");
  return value as string[];
}

function maxResults(fields: Fields): number {
  const value = fields.max_results;
  if (isAbsent(value)) return DEFAULT_MAX_RESULTS;
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_SEARCH_RESULTS) throw invalid("max_results", `must be an integer from 1 to ${MAX_SEARCH_RESULTS}`);
  return n;
}

const nonEmpty = <T extends Record<string, unknown>>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== "")) as T;

/** The person fields Verifik sends, as Vigil's metadata. */
function metadataOf(fields: Fields): PersonMetadata {
  return nonEmpty({ gender: optionalString(fields, "gender", 50), dateOfBirth: optionalString(fields, "date_of_birth", 50), nationality: optionalString(fields, "nationality", 100), notes: optionalString(fields, "notes") });
}

function signature(now = new Date()) {
  return { dateTime: formatSignatureDate(now), message: SIGNATURE_MESSAGE };
}

// ---------------------------------------------------------------- presentation

/** The collection object; `project` and `client` are both the Vigil project id. */
export function presentVerifikCollection(collection: Collection, options: { deleted?: boolean } = {}): VerifikCollectionView {
  return {
    _id: collection.id,
    code: collection.code,
    name: collection.name,
    description: collection.description,
    project: collection.projectId,
    client: collection.projectId,
    deleted: options.deleted ?? false,
    createdAt: collection.createdAt.toISOString(),
    updatedAt: collection.updatedAt.toISOString(),
    __v: 0,
  };
}

function thumbnails(person: Person, actor: string, origin: string) {
  return person.faces.filter((f) => f.hasImage).map((f) => ({ id: f.id, thumbnail: faceImageUrl(f.id, true, actor, origin)! }));
}

/** The person object; `thumbnails[].thumbnail` is a signed URL (see the module comment). */
export function presentVerifikPerson(person: Person, actor: string, origin: string, options: { deleted?: boolean } = {}): VerifikPersonView {
  return {
    _id: person.id,
    name: person.name,
    gender: person.metadata.gender ?? null,
    date_of_birth: person.metadata.dateOfBirth ?? null,
    nationality: person.metadata.nationality ?? null,
    notes: person.metadata.notes ?? null,
    collections: person.collections.map((c) => c.code),
    thumbnails: options.deleted ? [] : thumbnails(person, actor, origin),
    client: person.projectId,
    ...(options.deleted ? { deleted: true } : {}),
    createdAt: person.createdAt.toISOString(),
    updatedAt: person.updatedAt.toISOString(),
    __v: 0,
  };
}

/** A search result: the person with the score on Verifik's scale. */
function presentMatch(person: Person, similarity: number, bands: PolicyBands, actor: string, origin: string): VerifikMatchView {
  return {
    id: person.id,
    name: person.name,
    notes: person.metadata.notes ?? null,
    score: roundTo(toVerifikScore(similarity, bands), 4),
    gender: person.metadata.gender ?? null,
    thumbnails: thumbnails(person, actor, origin),
    collections: person.collections.map((c) => c.code),
    create_date: person.createdAt.toISOString(),
    nationality: person.metadata.nationality ?? null,
    date_of_birth: person.metadata.dateOfBirth ?? null,
    modified_date: person.updatedAt.toISOString(),
  };
}

const presentMatches = (candidates: Candidate[], bands: PolicyBands, actor: string, origin: string) => candidates.map((c) => presentMatch(c.person, c.similarity, bands, actor, origin));

// ---------------------------------------------------------------- collections

/** `POST` / `PUT` collection bodies: `name` (required to create) and `description`. */
export function parseVerifikCollection(body: ParsedBody, options: { create: boolean }): { name?: string; description?: string } {
  const fields = fieldsOf(body);
  const name = options.create ? requiredString(fields, "name") : optionalString(fields, "name", 200);
  if (name !== undefined && name.length > 200) throw invalid("name", "must be at most 200 characters");
  if (!options.create && name === "") throw invalid("name", "must not be empty");
  return nonEmpty({ name, description: optionalString(fields, "description") });
}

// ---------------------------------------------------------------- persons

export interface VerifikPersonInput {
  name: string;
  images: string[];
  metadata: PersonMetadata;
  collections: string[];
}

/** `POST /v2/face-recognition/persons`: `name` and `images` are required. */
export function parseVerifikPerson(body: ParsedBody): VerifikPersonInput {
  const fields = fieldsOf(body);
  const name = requiredString(fields, "name");
  const images = requiredImages(fields, "images", MAX_IMAGES_PER_REQUEST);
  return { name, images, metadata: metadataOf(fields), collections: stringList(fields, "collections") ?? [] };
}

export async function createVerifikPerson(db: Database, store: ImageStore, caller: Caller, input: VerifikPersonInput, origin: string) {
  const person = await createPerson(db, store, { projectId: caller.project.id, actor: actorOf(caller), name: input.name, metadata: input.metadata, collections: input.collections, images: input.images });
  return { data: presentVerifikPerson(person, actorOf(caller), origin) };
}

export interface VerifikPersonChanges {
  name?: string;
  metadata: PersonMetadata;
  collections?: string[];
  images?: string[];
}

/** `PUT /v2/face-recognition/persons/:id`: any of the create fields; `images` are added to the person's faces. */
export function parseVerifikPersonChanges(body: ParsedBody): VerifikPersonChanges {
  const fields = fieldsOf(body);
  const name = optionalString(fields, "name", 200);
  if (name === "") throw invalid("name", "must not be empty");
  const images = isAbsent(fields.images) ? undefined : requiredImages(fields, "images", MAX_IMAGES_PER_REQUEST);
  return { name, metadata: metadataOf(fields), collections: stringList(fields, "collections"), images };
}

/**
 * Adds any new face images, then updates the fields sent (the others keep their values). What
 * can refuse the request (an unknown collection, an image that is unreadable or of someone
 * else) is checked before anything is written, so a refused update changes nothing.
 */
export async function updateVerifikPerson(db: Database, store: ImageStore, caller: Caller, personId: string, changes: VerifikPersonChanges, origin: string) {
  const before = await getPerson(db, caller.project.id, personId);
  const actor = actorOf(caller);
  if (changes.collections) await resolveCollections(db, caller.project.id, changes.collections);
  if (changes.images) await addFaces(db, store, { projectId: caller.project.id, personId: before.id, actor, images: changes.images });
  const person = await updatePerson(db, { projectId: caller.project.id, personId: before.id, actor, name: changes.name, metadata: { ...before.metadata, ...changes.metadata }, collections: changes.collections });
  return { data: presentVerifikPerson(person, actor, origin) };
}

export async function deleteVerifikPerson(db: Database, store: ImageStore, caller: Caller, personId: string, origin: string) {
  const person = await deletePerson(db, store, { projectId: caller.project.id, personId, actor: actorOf(caller) });
  return { data: presentVerifikPerson(person, actorOf(caller), origin, { deleted: true }) };
}

/** `GET /v2/face-recognition/persons?page=&limit=&collection=`: newest first, pages of `limit` (default 10, at most 100). */
export function parseVerifikPersonList(url: URL): { page: number; limit: number; collection: string | null } {
  const int = (name: string, fallback: number, max: number) => {
    const raw = url.searchParams.get(name);
    if (raw === null || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max) throw invalid(name, `must be an integer from 1 to ${max}`);
    return n;
  };
  return { page: int("page", 1, 1_000_000), limit: int("limit", 10, 100), collection: url.searchParams.get("collection") || null };
}

export async function listVerifikPersons(db: Database, caller: Caller, query: { page: number; limit: number; collection: string | null }, origin: string) {
  const conditions: SQL[] = [eq(persons.projectId, caller.project.id)];
  if (query.collection) {
    const [collectionId] = await resolveCollections(db, caller.project.id, [query.collection]);
    conditions.push(inArray(persons.id, db.select({ id: personCollections.personId }).from(personCollections).where(eq(personCollections.collectionId, collectionId))));
  }
  const [{ total }] = await db.select({ total: count() }).from(persons).where(and(...conditions));
  const ids = await db
    .select({ id: persons.id })
    .from(persons)
    .where(and(...conditions))
    .orderBy(desc(persons.id))
    .limit(query.limit)
    .offset((query.page - 1) * query.limit);
  const page = await getPersons(db, caller.project.id, ids.map((r) => r.id));
  return {
    data: page.map((p) => presentVerifikPerson(p, actorOf(caller), origin)),
    pagination: { page: query.page, limit: query.limit, total: Number(total), pages: Math.ceil(Number(total) / query.limit) },
  };
}

// ---------------------------------------------------------------- create with liveness

export interface CreateWithLivenessInput extends VerifikPersonInput {
  collectionId: string;
  minScore: number;
  searchMode: SearchMode;
  livenessMinScore: number;
}

/** `POST /v2/face-recognition/persons/search-live-face`: `name`, `collection_id` and `images` (at most 3) are required. */
export function parseCreateWithLiveness(body: ParsedBody): CreateWithLivenessInput {
  const fields = fieldsOf(body);
  const name = requiredString(fields, "name");
  const collectionId = requiredString(fields, "collection_id");
  const images = requiredImages(fields, "images", MAX_PROBE_IMAGES);
  return {
    name,
    images,
    collectionId,
    metadata: metadataOf(fields),
    collections: [collectionId],
    minScore: optionalScore("min_score", fields.min_score, STRICT_MIN_SCORE_RANGE) ?? DEFAULT_DUPLICATE_MIN_SCORE,
    searchMode: isAbsent(fields.search_mode) ? "FAST" : oneOf("search_mode", fields.search_mode, SEARCH_MODES),
    livenessMinScore: optionalScore("liveness_min_score", fields.liveness_min_score, SEARCH_LIVENESS_MIN_SCORE_RANGE) ?? DEFAULT_ENROLL_LIVENESS_MIN_SCORE,
  };
}

/**
 * Enrolls a person into `collection_id` when every image passes liveness and nobody in that
 * collection matches at `min_score` (DUPLICATE_PERSON otherwise). The duplicate search is
 * always exact, whatever `search_mode` says: a missed duplicate is worse than a slower answer.
 */
export async function createPersonWithLiveness(db: Database, store: ImageStore, caller: Caller, input: CreateWithLivenessInput, requestId: string, origin: string) {
  const policy = await getActivePolicy(db, caller.project.id);
  const person = await createPerson(db, store, {
    projectId: caller.project.id,
    actor: actorOf(caller),
    name: input.name,
    metadata: input.metadata,
    collections: [input.collectionId],
    images: input.images,
    livenessMin: input.livenessMinScore,
    duplicateMin: fromVerifikScore(input.minScore, policy.bands),
    duplicateScope: [input.collectionId],
  });
  return { id: requestId, data: presentVerifikPerson(person, actorOf(caller), origin), signature: signature() };
}

// ---------------------------------------------------------------- search

export interface VerifikSearchInput {
  images: string[];
  collectionId: string | null;
  maxResults: number;
  minScore: number;
  searchMode: SearchMode;
}

/**
 * `POST /v2/face-recognition/search` (`crops`: `.../search/crops`): `images`, `min_score` and
 * `search_mode` are required, checked in that order; `min_score` is 0.2-1, or 0.5-1 for crops.
 */
export function parseVerifikSearch(body: ParsedBody, options: { crops: boolean }): VerifikSearchInput {
  const fields = fieldsOf(body);
  const images = requiredImages(fields, "images", MAX_PROBE_IMAGES);
  const minScore = requiredScore(fields, "min_score", options.crops ? STRICT_MIN_SCORE_RANGE : SEARCH_MIN_SCORE_RANGE);
  if (isAbsent(fields.search_mode)) throw missing("search_mode");
  const searchMode = oneOf("search_mode", fields.search_mode, SEARCH_MODES);
  return { images, collectionId: optionalString(fields, "collection_id", 200) || null, maxResults: maxResults(fields), minScore, searchMode };
}

/** The persons a Verifik search finds: its `min_score` read on Vigil's bands, best first. */
async function verifikCandidates(
  db: Database,
  caller: Caller,
  bands: PolicyBands,
  collections: string[] | null,
  probe: Float32Array,
  input: { maxResults: number; searchMode: SearchMode; minScore: number },
) {
  const { candidates } = await findCandidates(db, {
    projectId: caller.project.id,
    probe,
    collections,
    limit: input.maxResults,
    mode: input.searchMode,
    minSimilarity: fromVerifikScore(input.minScore, bands),
    bands,
  });
  return candidates;
}

/** Runs a search with the mean embedding of the images; `faceCrop` for the crops route. */
export async function verifikSearch(db: Database, caller: Caller, input: VerifikSearchInput, options: { faceCrop: boolean; requestId: string; origin: string }) {
  const policy = await getActivePolicy(db, caller.project.id);
  // An unknown collection is NOT_FOUND before any inference runs.
  const collections = input.collectionId ? await resolveCollections(db, caller.project.id, [input.collectionId]) : null;
  const probe = await analyzeProbe(input.images, { bands: policy.bands, faceCrop: options.faceCrop, names: input.images.map((_, i) => `images[${i}]`) });
  const candidates = await verifikCandidates(db, caller, policy.bands, collections, probe.embedding, input);
  return { id: options.requestId, data: presentMatches(candidates, policy.bands, actorOf(caller), options.origin), signature: signature() };
}

export interface VerifikLiveSearchInput {
  image: string;
  os: (typeof OPERATING_SYSTEMS)[number];
  livenessMinScore: number;
  minScore: number;
  searchMode: SearchMode;
  collectionId: string | null;
  maxResults: number;
}

/** `POST /v2/face-recognition/search-live-face`: everything but `collection_id` (and `max_results`) is required. */
export function parseVerifikLiveSearch(body: ParsedBody): VerifikLiveSearchInput {
  const fields = fieldsOf(body);
  if (isAbsent(fields.image)) throw missing("image");
  if (typeof fields.image !== "string") throw invalid("image", "must be a base64 image or a data URL");
  if (isAbsent(fields.os)) throw missing("os");
  const os = oneOf("os", fields.os, OPERATING_SYSTEMS);
  const livenessMinScore = requiredScore(fields, "liveness_min_score", SEARCH_LIVENESS_MIN_SCORE_RANGE);
  const minScore = requiredScore(fields, "min_score", STRICT_MIN_SCORE_RANGE);
  if (isAbsent(fields.search_mode)) throw missing("search_mode");
  const searchMode = oneOf("search_mode", fields.search_mode, SEARCH_MODES);
  return { image: fields.image, os, livenessMinScore, minScore, searchMode, collectionId: optionalString(fields, "collection_id", 200) || null, maxResults: maxResults(fields) };
}

/** Liveness on the probe first; a probe that does not pass gets no persons (a spoof learns nothing). */
export async function verifikLiveSearch(db: Database, caller: Caller, input: VerifikLiveSearchInput, options: { requestId: string; origin: string }) {
  const policy = await getActivePolicy(db, caller.project.id);
  const collections = input.collectionId ? await resolveCollections(db, caller.project.id, [input.collectionId]) : null;
  const probe = await analyzeProbe([input.image], { bands: policy.bands, liveness: true });
  const livenessScore = roundTo(probe.analyses[0].subject.liveness ?? 0, 4);
  const passed = livenessScore >= input.livenessMinScore;
  const candidates = passed ? await verifikCandidates(db, caller, policy.bands, collections, probe.embedding, input) : [];
  return {
    id: options.requestId,
    data: { persons: presentMatches(candidates, policy.bands, actorOf(caller), options.origin), liveness: { liveness_score: livenessScore, min_score: input.livenessMinScore, passed } },
    signature: signature(),
  };
}

// ---------------------------------------------------------------- verify

export interface VerifikVerifyInput {
  personId: string;
  images: string[];
  minScore: number;
  searchMode: SearchMode;
  collectionId: string | null;
}

/** `POST /v2/face-recognition/verify`: `id`, `images`, `min_score` (0.5-1) and `search_mode` are required. */
export function parseVerifikVerify(body: ParsedBody): VerifikVerifyInput {
  const fields = fieldsOf(body);
  const personId = requiredString(fields, "id");
  const images = requiredImages(fields, "images", MAX_PROBE_IMAGES);
  const minScore = requiredScore(fields, "min_score", STRICT_MIN_SCORE_RANGE);
  if (isAbsent(fields.search_mode)) throw missing("search_mode");
  const searchMode = oneOf("search_mode", fields.search_mode, SEARCH_MODES);
  return { personId, images, minScore, searchMode, collectionId: optionalString(fields, "collection_id", 200) || null };
}

/**
 * 1:1 against an enrolled person: `data.match` is the person with the score when the score
 * reaches `min_score` (as documented), else null; `data.score` is there either way.
 */
export async function verifikVerify(db: Database, caller: Caller, input: VerifikVerifyInput, options: { requestId: string; origin: string }) {
  const policy = await getActivePolicy(db, caller.project.id);
  await getPerson(db, caller.project.id, input.personId);
  if (input.collectionId) await getCollection(db, caller.project.id, input.collectionId);
  const probe = await analyzeProbe(input.images, { bands: policy.bands, names: input.images.map((_, i) => `images[${i}]`) });
  const match = await matchPerson(db, { projectId: caller.project.id, personId: input.personId, probe: probe.embedding, collection: input.collectionId });
  const score = roundTo(toVerifikScore(match.similarity, policy.bands), 4);
  return {
    id: options.requestId,
    data: { match: score >= input.minScore ? presentMatch(match.person, match.similarity, policy.bands, actorOf(caller), options.origin) : null, score },
    signature: signature(),
  };
}

