import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, S3ServiceException } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ImageStore } from "./image-store";
import { decryptImage, imageEncryptionKey, LocalImageStore } from "./image-store";
import { createS3Client, S3ImageStore } from "./s3-store";
import type { TestS3Server } from "./testing/s3-server";
import { startTestS3Server } from "./testing/s3-server";

/** One backing (a directory, a bucket) and the means to look under a store's encryption. */
interface Backing {
  /** A store on this backing; another storage key gives a store that shares the bytes, not the key. */
  open(storageKey: Buffer): ImageStore;
  /** The bytes as stored, or null when there is no such object. */
  raw(area: "images" | "staging", key: string): Promise<Buffer | null>;
  /** Most keys one `isCommitted` call may be asked about. */
  batchLimit: number;
  close(): Promise<void>;
}

async function localBacking(): Promise<Backing> {
  const root = await mkdtemp(join(tmpdir(), "vigil-store-"));
  return {
    open: (storageKey) => new LocalImageStore(root, storageKey),
    raw: (area, key) => readFile(join(root, area, `${key}.enc`)).catch(() => null),
    batchLimit: Number.POSITIVE_INFINITY,
    close: () => rm(root, { recursive: true, force: true }),
  };
}

/** A small page size, so that recovery of a handful of objects walks several ListObjectsV2 pages. */
const S3_PAGE = 2;

async function s3Backing(): Promise<Backing> {
  const server: TestS3Server = await startTestS3Server();
  const client = createS3Client({ region: "us-east-1", endpoint: server.endpoint, credentials: server.credentials });
  const prefix = "tenant-a";
  return {
    open: (storageKey) => new S3ImageStore(client, { bucket: server.bucket, prefix, storageKey, listPageSize: S3_PAGE, stagingGraceMs: 0 }),
    raw: async (area, key) => {
      try {
        const answer = await client.send(new GetObjectCommand({ Bucket: server.bucket, Key: `${prefix}/${area}/${key}` }));
        return Buffer.from(await answer.Body!.transformToByteArray());
      } catch (error) {
        if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return null;
        throw error;
      }
    },
    batchLimit: S3_PAGE,
    close: async () => {
      client.destroy();
      await server.stop();
    },
  };
}

/** A JPEG-looking payload: the marker a scan for plaintext images would look for, then noise. */
function photo(): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(20_000)]);
}

async function codeOf(work: Promise<unknown>): Promise<string> {
  return work.then(
    () => "no error",
    (error: NodeJS.ErrnoException) => error.code ?? error.name,
  );
}

const backings = [
  { name: "LocalImageStore (directory)", make: localBacking },
  { name: "S3ImageStore (s3rver over HTTP)", make: s3Backing },
];

/** One contract, held by every ImageStore. */
describe.each(backings)("$name", ({ make }) => {
  let backing: Backing;
  let storageKey: Buffer;
  let store: ImageStore;
  let serial = 0;
  /** A fresh key per test, in the shape the service makes them. */
  const newKey = () => `prj_test/ver_${process.pid}_${++serial}/img_selfie`;

  beforeAll(async () => {
    backing = await make();
    storageKey = randomBytes(32);
    store = backing.open(storageKey);
  });

  afterAll(async () => {
    await backing?.close();
  });

  it("hides a staged image until it is published, then returns the same bytes", async () => {
    const key = newKey();
    const plain = photo();
    await store.stage(key, plain);
    expect(await codeOf(store.get(key))).toBe("ENOENT");
    expect(await backing.raw("staging", key)).not.toBeNull();

    await store.publish(key);
    expect((await store.get(key)).equals(plain)).toBe(true);
    expect(await backing.raw("staging", key)).toBeNull();
    expect(await backing.raw("images", key)).not.toBeNull();
  });

  it("stores ciphertext that only this storage key, under this storage path, opens", async () => {
    const key = newKey();
    const plain = photo();
    await store.stage(key, plain);
    const staged = await backing.raw("staging", key);
    await store.publish(key);
    const sealed = (await backing.raw("images", key))!;
    for (const stored of [staged!, sealed]) {
      expect(stored.subarray(0, 4).equals(plain.subarray(0, 4))).toBe(false);
      expect(stored.includes(plain.subarray(1000, 1064))).toBe(false);
    }
    // The raw object opens with the right key at the right path, so the refusals below are real.
    expect(decryptImage(imageEncryptionKey(storageKey), key, sealed).equals(plain)).toBe(true);
    expect(() => decryptImage(imageEncryptionKey(randomBytes(32)), key, sealed)).toThrow();
    expect(() => decryptImage(imageEncryptionKey(storageKey), `${key}x`, sealed)).toThrow();
    // A store on the same backing with another key finds the object but cannot read it.
    const code = await codeOf(backing.open(randomBytes(32)).get(key));
    expect(code).not.toBe("no error");
    expect(code).not.toBe("ENOENT");
  });

  it("publishes idempotently, and refuses to publish what was never staged", async () => {
    const key = newKey();
    const plain = photo();
    await store.stage(key, plain);
    await store.publish(key);
    await store.publish(key);
    expect((await store.get(key)).equals(plain)).toBe(true);
    expect(await codeOf(store.publish(newKey()))).not.toBe("no error");
  });

  it("discards and deletes idempotently, a missing object being no error", async () => {
    const staged = newKey();
    await store.stage(staged, photo());
    await store.discard(staged);
    expect(await backing.raw("staging", staged)).toBeNull();
    await store.discard(staged);
    await store.discard(newKey());

    const published = newKey();
    await store.stage(published, photo());
    await store.publish(published);
    await store.delete(published);
    expect(await codeOf(store.get(published))).toBe("ENOENT");
    expect(await backing.raw("images", published)).toBeNull();
    await store.delete(published);
    await store.delete(newKey());
  });

  it("answers a missing image with the not-found error the image route maps to 404", async () => {
    const error = await store.get(newKey()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as NodeJS.ErrnoException).code).toBe("ENOENT");
  });

  it("accepts keys of letters, digits, _, - and / and refuses anything that could escape its folder", async () => {
    const key = `prj_AZaz09/ver-${serial++}_x/face_0-Z_9`;
    const plain = photo();
    await store.stage(key, plain);
    await store.publish(key);
    expect((await store.get(key)).equals(plain)).toBe(true);
    for (const unsafe of ["../images/x", "/absolute", "a b", "a.jpg", "trailing/", "", "ünicode"]) {
      await expect(store.stage(unsafe, plain), unsafe).rejects.toThrow(/unsafe storage key/);
      await expect(store.get(unsafe), unsafe).rejects.toThrow(/unsafe storage key/);
    }
  });

  it("recovers: committed staged images are published, the rest deleted, asking in batches", async () => {
    // Settle what earlier tests left staged, so the counts below are this test's alone.
    await store.recover(async () => new Set());
    const keys = Array.from({ length: 7 }, () => newKey());
    const plain = new Map(keys.map((k) => [k, photo()]));
    await Promise.all(keys.map((k) => store.stage(k, plain.get(k)!)));
    const committed = new Set([keys[0], keys[3], keys[6]]);
    const asked: string[][] = [];

    const result = await store.recover(async (batch) => {
      asked.push(batch);
      return new Set(batch.filter((k) => committed.has(k)));
    });

    expect(result).toEqual({ published: 3, discarded: 4 });
    expect(asked.flat().sort()).toEqual([...keys].sort());
    for (const batch of asked) expect(batch.length).toBeLessThanOrEqual(backing.batchLimit);
    if (Number.isFinite(backing.batchLimit)) expect(asked.length).toBeGreaterThanOrEqual(Math.ceil(keys.length / backing.batchLimit));
    for (const key of keys) {
      expect(await backing.raw("staging", key)).toBeNull();
      if (committed.has(key)) expect((await store.get(key)).equals(plain.get(key)!)).toBe(true);
      else expect(await codeOf(store.get(key))).toBe("ENOENT");
    }
    expect(await store.recover(async () => new Set(keys))).toEqual({ published: 0, discarded: 0 });
  });
});

describe("LocalImageStore shared by several instances (a grace period)", () => {
  it("leaves a young uncommitted staged file alone: another instance's transaction may be about to commit it", async () => {
    const root = await mkdtemp(join(tmpdir(), "vigil-store-shared-"));
    try {
      const storageKey = randomBytes(32);
      const writer = new LocalImageStore(root, storageKey, { stagingGraceMs: 60_000 });
      const restarting = new LocalImageStore(root, storageKey, { stagingGraceMs: 60_000 });
      const committed = "prj_shared/ver_1/img_selfie";
      const inFlight = "prj_shared/ver_2/img_selfie";
      const abandoned = "prj_shared/ver_3/img_selfie";
      for (const key of [committed, inFlight, abandoned]) await writer.stage(key, photo());
      const old = new Date(Date.now() - 120_000);
      await utimes(join(root, "staging", `${abandoned}.enc`), old, old);

      // Another instance starts while the writer's transaction for inFlight is still open.
      expect(await restarting.recover(async (keys) => new Set(keys.filter((k) => k === committed)))).toEqual({ published: 1, discarded: 1 });
      // The writer commits and publishes: its image is there.
      await writer.publish(inFlight);
      expect((await writer.get(inFlight)).subarray(0, 4)).toEqual(Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
      expect(await codeOf(writer.get(abandoned))).toBe("ENOENT");
      await expect(readFile(join(root, "staging", `${abandoned}.enc`))).rejects.toMatchObject({ code: "ENOENT" });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
