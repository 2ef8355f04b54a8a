import "server-only";
import { inArray } from "drizzle-orm";
import type { Database } from "@/db/client";
import { images, personFaces } from "@/db/schema";
import type { ImageStore } from "@/lib/storage";

/** Storage keys looked up per query when settling staged images. */
const KEY_BATCH = 500;
/**
 * A transaction whose connection dropped is settled no sooner than this: a server still alive
 * behind a cut connection finishes (commits or rolls back) a COMMIT it already received within
 * moments, and nothing must be discarded that it is about to commit.
 */
const MIN_AGE_MS = 2_000;
/** How often the in-doubt images are looked at again while the database is still away. */
const RETRY_MS = 2_000;

/** Which of `keys` belong to a committed image row (a verification's image or an enrolled face's). */
export async function committedStorageKeys(db: Database, keys: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < keys.length; i += KEY_BATCH) {
    const batch = keys.slice(i, i + KEY_BATCH);
    const rows = await db.select({ key: images.storageKey }).from(images).where(inArray(images.storageKey, batch));
    for (const r of rows) found.add(r.key);
    const faces = await db.select({ key: personFaces.storageKey }).from(personFaces).where(inArray(personFaces.storageKey, batch));
    for (const f of faces) if (f.key) found.add(f.key);
  }
  return found;
}

interface InDoubt {
  db: Database;
  store: ImageStore;
  keys: string[];
  since: number;
}

interface Settler {
  pending: InDoubt[];
  timer?: NodeJS.Timeout;
  running?: Promise<SettleReport>;
}

export interface SettleReport {
  published: number;
  discarded: number;
  /** Keys still waiting for the database. */
  pending: number;
}

// On globalThis: route handlers may load separate copies of this module.
const settlerKey = Symbol.for("vigil.inDoubtImages");
type Holder = { [settlerKey]?: Settler };

function settler(): Settler {
  const holder = globalThis as Holder;
  holder[settlerKey] ??= { pending: [] };
  return holder[settlerKey];
}

function schedule(s: Settler): void {
  if (s.timer || s.pending.length === 0) return;
  s.timer = setTimeout(() => {
    s.timer = undefined;
    void settleStagedImagesNow().finally(() => schedule(s));
  }, RETRY_MS);
  s.timer.unref();
}

/**
 * Hands over images staged for a transaction that failed because the database went away. It
 * may have committed (the connection can drop after COMMIT reached the server and before its
 * answer came back), so the images are neither discarded nor published now: once the database
 * answers again they are published if their rows committed and deleted otherwise. Until then
 * they stay staged, which a restart of this process also settles (recoverStagedImages).
 */
export function settleStagedImagesLater(db: Database, store: ImageStore, keys: string[]): void {
  if (keys.length === 0) return;
  const s = settler();
  s.pending.push({ db, store, keys, since: Date.now() });
  schedule(s);
}

/**
 * Settles the in-doubt images old enough to settle, now; those the database cannot be asked
 * about yet stay for the next try. Runs one at a time.
 */
export function settleStagedImagesNow(options: { minAgeMs?: number } = {}): Promise<SettleReport> {
  const s = settler();
  s.running ??= (async () => {
    const report = { published: 0, discarded: 0, pending: 0 };
    const due = Date.now() - (options.minAgeMs ?? MIN_AGE_MS);
    const later: InDoubt[] = [];
    for (const entry of s.pending.splice(0)) {
      if (entry.since > due) {
        later.push(entry);
        continue;
      }
      try {
        const committed = await committedStorageKeys(entry.db, entry.keys);
        for (const key of entry.keys) {
          if (committed.has(key)) {
            await entry.store.publish(key);
            report.published++;
          } else {
            await entry.store.discard(key);
            report.discarded++;
          }
        }
      } catch {
        // The database is still away (or the store failed): try again later.
        later.push(entry);
      }
    }
    s.pending.unshift(...later);
    report.pending = s.pending.reduce((n, e) => n + e.keys.length, 0);
    return report;
  })().finally(() => {
    s.running = undefined;
  });
  return s.running;
}

/** Staged images waiting for the database to say whether their transaction committed. */
export function pendingStagedImages(): number {
  return settler().pending.reduce((n, e) => n + e.keys.length, 0);
}
