import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { createServer } from "node:net";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { getEnv, resetEnv } from "@/lib/env";
import { createImageStore } from "@/lib/storage";
import { LocalImageStore } from "./image-store";
import { createS3Client, S3ImageStore } from "./s3-store";
import type { TestS3Server } from "./testing/s3-server";
import { startTestS3Server } from "./testing/s3-server";

let server: TestS3Server;
let client: S3Client;
const storageKey = randomBytes(32);
let serial = 0;
const newKey = () => `prj_s3/ver_${++serial}/img_selfie`;

beforeAll(async () => {
  server = await startTestS3Server();
  client = createS3Client({ region: "us-east-1", endpoint: server.endpoint, credentials: server.credentials });
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

async function objectKeys(prefix: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

const open = (options: { prefix?: string; stagingGraceMs?: number } = {}) => new S3ImageStore(client, { bucket: server.bucket, storageKey, ...options });

describe("S3ImageStore layout", () => {
  it("keeps images/ and staging/ under the prefix, so deployments sharing a bucket stay apart", async () => {
    const a = open({ prefix: "/deploy-a/" });
    const b = open({ prefix: "deploy-b/eu" });
    const published = newKey();
    const staged = newKey();
    await a.stage(published, Buffer.from("face"));
    await a.publish(published);
    await a.stage(staged, Buffer.from("face"));

    expect(await objectKeys("deploy-a/")).toEqual([`deploy-a/images/${published}`, `deploy-a/staging/${staged}`]);
    await expect(b.get(published)).rejects.toMatchObject({ code: "ENOENT" });
    const asked: string[] = [];
    expect(await b.recover(async (keys) => (asked.push(...keys), new Set()))).toEqual({ published: 0, discarded: 0 });
    expect(asked).toEqual([]);
    expect(await objectKeys("deploy-a/staging/")).toEqual([`deploy-a/staging/${staged}`]);
  });

  it("puts keys at the bucket's root without a prefix", async () => {
    const store = open();
    const key = newKey();
    await store.stage(key, Buffer.from("face"));
    await store.publish(key);
    expect(await objectKeys(`images/${key}`)).toEqual([`images/${key}`]);
  });
});

describe("S3ImageStore shared by several instances", () => {
  it("leaves a young uncommitted staged object alone: its transaction may still be running elsewhere", async () => {
    const store = open({ prefix: "grace" });
    const committed = newKey();
    const inFlight = newKey();
    await store.stage(committed, Buffer.from("face"));
    await store.stage(inFlight, Buffer.from("face"));
    const isCommitted = async (keys: string[]) => new Set(keys.filter((k) => k === committed));

    expect(await store.recover(isCommitted)).toEqual({ published: 1, discarded: 0 });
    expect(await objectKeys("grace/staging/")).toEqual([`grace/staging/${inFlight}`]);
    // Once past the grace period the same object is an orphan and goes.
    expect(await open({ prefix: "grace", stagingGraceMs: 0 }).recover(isCommitted)).toEqual({ published: 0, discarded: 1 });
    expect(await objectKeys("grace/staging/")).toEqual([]);
  });

  it("lets two instances publish and recover the same keys at once", async () => {
    const a = open({ prefix: "shared" });
    const b = open({ prefix: "shared" });
    const keys = Array.from({ length: 6 }, () => newKey());
    await Promise.all(keys.map((k) => a.stage(k, Buffer.from(k))));
    await Promise.all(keys.slice(0, 3).flatMap((k) => [a.publish(k), b.publish(k)]));
    const all = async (batch: string[]) => new Set(batch);
    const [first, second] = await Promise.all([a.recover(all), b.recover(all)]);

    expect(first.discarded + second.discarded).toBe(0);
    expect(first.published + second.published).toBeGreaterThanOrEqual(3);
    expect(await objectKeys("shared/staging/")).toEqual([]);
    for (const key of keys) expect((await b.get(key)).toString()).toBe(key);
  });
});

describe("S3ImageStore when the server misbehaves", () => {
  it("fails a request that gets no answer instead of hanging", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    const stalled = createS3Client({ region: "us-east-1", endpoint: `http://127.0.0.1:${port}`, credentials: server.credentials, requestTimeoutMs: 200 });
    try {
      const store = new S3ImageStore(stalled, { bucket: "vigil-test", storageKey });
      const error = await store.get(newKey()).catch((e: unknown) => e);
      expect((error as Error).name).toBe("TimeoutError");
      expect(sockets.size).toBeGreaterThan(0);
    } finally {
      stalled.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 15_000);

  it("fails cleanly when nothing listens", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = createS3Client({ region: "us-east-1", endpoint: `http://127.0.0.1:${port}`, credentials: server.credentials });
    try {
      const store = new S3ImageStore(unreachable, { bucket: "vigil-test", storageKey });
      const error = (await store.stage(newKey(), Buffer.from("face")).catch((e: unknown) => e)) as NodeJS.ErrnoException;
      expect(error.code).toBe("ECONNREFUSED");
    } finally {
      unreachable.destroy();
    }
  }, 15_000);
});

describe("choosing the store from the environment", () => {
  const names = ["VIGIL_S3_BUCKET", "VIGIL_S3_ENDPOINT", "VIGIL_S3_PREFIX", "VIGIL_S3_FORCE_PATH_STYLE", "VIGIL_STORAGE_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];
  const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));

  afterEach(() => {
    for (const name of names) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    resetEnv();
  });

  it("uses the bucket when VIGIL_S3_BUCKET is set: path-style URLs, credentials from AWS_* variables", async () => {
    Object.assign(process.env, {
      VIGIL_S3_BUCKET: server.bucket,
      VIGIL_S3_ENDPOINT: server.endpoint,
      VIGIL_S3_PREFIX: "from-env",
      VIGIL_STORAGE_KEY: storageKey.toString("base64"),
      AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
    });
    resetEnv();
    const store = createImageStore(getEnv());
    expect(store).toBeInstanceOf(S3ImageStore);
    const key = newKey();
    await store.stage(key, Buffer.from("face"));
    await store.publish(key);
    expect((await store.get(key)).toString()).toBe("face");
    expect(await objectKeys("from-env/")).toEqual([`from-env/images/${key}`]);
  });

  it("keeps the local directory store when no bucket is set", () => {
    for (const name of names) delete process.env[name];
    process.env.VIGIL_STORAGE_KEY = storageKey.toString("base64");
    resetEnv();
    expect(createImageStore(getEnv())).toBeInstanceOf(LocalImageStore);
  });

  it("refuses an endpoint or prefix without a bucket rather than quietly storing on local disk", () => {
    for (const name of names) delete process.env[name];
    process.env.VIGIL_S3_ENDPOINT = server.endpoint;
    resetEnv();
    expect(() => getEnv()).toThrow(/VIGIL_S3_BUCKET/);
    delete process.env.VIGIL_S3_ENDPOINT;
    process.env.VIGIL_S3_PREFIX = "../escape";
    resetEnv();
    expect(() => getEnv()).toThrow(/VIGIL_S3_PREFIX/);
  });
});
