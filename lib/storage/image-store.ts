import "server-only";
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { access, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, sep } from "node:path";

/**
 * Where image bytes live. Every implementation encrypts on the client side (AES-256-GCM), so
 * neither a disk nor an object store ever holds a face in the clear.
 *
 * Writes are two-phase so a verification's images and its database rows appear together:
 * `stage` writes the encrypted bytes aside, the caller commits its transaction, then
 * `publish` moves them into place. `recover` settles what a crash left staged.
 */
export interface ImageStore {
  stage(key: string, plain: Uint8Array): Promise<void>;
  publish(key: string): Promise<void>;
  discard(key: string): Promise<void>;
  get(key: string): Promise<Buffer>;
  delete(key: string): Promise<void>;
  /** Publishes staged keys that `isCommitted` confirms and deletes the rest; returns counts. */
  recover(isCommitted: (keys: string[]) => Promise<Set<string>>): Promise<{ published: number; discarded: number }>;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Derives the image-encryption key from the storage key, separate from the URL-signing key. */
export function imageEncryptionKey(storageKey: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", storageKey, Buffer.alloc(0), "vigil image encryption v1", 32));
}

/** iv (12) | tag (16) | ciphertext. The key is bound in as associated data, so a file moved to another key fails to decrypt. */
export function encryptImage(key: Buffer, storageKey: string, plain: Uint8Array): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(storageKey));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

export function decryptImage(key: Buffer, storageKey: string, sealed: Buffer): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(storageKey));
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

/** Storage keys are `<project>/<verification>/<image>`-like paths: letters, digits, `_`, `-` and `/`. */
export function isSafeKey(key: string): boolean {
  return /^[A-Za-z0-9_\-/]+$/.test(key) && !key.includes("..") && !key.startsWith("/") && !key.endsWith("/");
}

export function assertSafeKey(key: string): void {
  if (!isSafeKey(key)) throw new Error(`unsafe storage key: ${key}`);
}

/**
 * What `get` throws for a key with no published image, whatever the store: an error whose
 * `code` is "ENOENT", as the local store's own file-system error has, so callers (the image
 * route answers 404) test one thing.
 */
export function imageNotFound(key: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`no image stored under ${key}`), { code: "ENOENT" });
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * How old an uncommitted staged file must be before `recover` deletes it when several processes
 * share the directory: as long as S3ImageStore waits, for the same reason.
 */
export const SHARED_STAGING_GRACE_MS = 10 * 60_000;

/** Encrypted files under a local directory: `images/` for published, `staging/` for staged. */
export class LocalImageStore implements ImageStore {
  private readonly key: Buffer;
  private readonly stagingGraceMs: number;

  /**
   * `stagingGraceMs`: 0 (the default) when this process is the directory's only writer (the
   * embedded database allows one process), so whatever is staged and uncommitted at start-up is
   * a crash's leftover. When instances share the directory (PostgreSQL, a shared volume), a
   * young staged file may belong to another instance's transaction that is about to commit:
   * deleting it would leave that verification without its image, so it is kept until older.
   */
  constructor(
    private readonly root: string,
    storageKey: Buffer,
    options: { stagingGraceMs?: number } = {},
  ) {
    this.key = imageEncryptionKey(storageKey);
    this.stagingGraceMs = options.stagingGraceMs ?? 0;
  }

  /** Whether a staged file is old enough to be another process's abandoned write. */
  private async abandoned(file: string): Promise<boolean> {
    if (this.stagingGraceMs <= 0) return true;
    const modified = await stat(file).then((s) => s.mtimeMs, () => 0);
    return modified < Date.now() - this.stagingGraceMs;
  }

  private published(key: string) {
    assertSafeKey(key);
    return join(this.root, "images", `${key}.enc`);
  }

  private staged(key: string) {
    assertSafeKey(key);
    return join(this.root, "staging", `${key}.enc`);
  }

  async stage(key: string, plain: Uint8Array): Promise<void> {
    const file = this.staged(key);
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, encryptImage(this.key, key, plain));
    await rename(tmp, file);
  }

  async publish(key: string): Promise<void> {
    const target = this.published(key);
    await mkdir(dirname(target), { recursive: true });
    try {
      await rename(this.staged(key), target);
    } catch (error) {
      // Publishing twice (a retry, or recovery after the first publish got through) is fine.
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && (await exists(target))) return;
      throw error;
    }
  }

  async discard(key: string): Promise<void> {
    await rm(this.staged(key), { force: true });
  }

  async get(key: string): Promise<Buffer> {
    return decryptImage(this.key, key, await readFile(this.published(key)));
  }

  async delete(key: string): Promise<void> {
    await rm(this.published(key), { force: true });
  }

  async recover(isCommitted: (keys: string[]) => Promise<Set<string>>): Promise<{ published: number; discarded: number }> {
    const stagingRoot = join(this.root, "staging");
    let files: string[];
    try {
      files = (await readdir(stagingRoot, { recursive: true })).map(String);
    } catch {
      return { published: 0, discarded: 0 };
    }
    // Half-written temporary files of a crashed stage() are never part of a commit.
    for (const tmp of files.filter((f) => f.endsWith(".tmp"))) {
      if (await this.abandoned(join(stagingRoot, tmp))) await rm(join(stagingRoot, tmp), { force: true });
    }
    const keys = files.filter((f) => f.endsWith(".enc")).map((f) => f.split(sep).join("/").replace(/\.enc$/, ""));
    const committed = keys.length ? await isCommitted(keys) : new Set<string>();
    let published = 0;
    let discarded = 0;
    for (const key of keys) {
      if (committed.has(key)) {
        await this.publish(key);
        published++;
      } else if (await this.abandoned(this.staged(key))) {
        await this.discard(key);
        discarded++;
      }
    }
    return { published, discarded };
  }
}
