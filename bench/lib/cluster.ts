/**
 * Several production instances of Vigil as one deployment, on this machine: a throwaway
 * PostgreSQL 15 (migrated here, before any instance starts), object storage shared through
 * s3rver (the S3 protocol, as a real deployment shares a bucket), one storage key, N
 * `next start` instances with DATABASE_URL on free ports, and nginx in front of them
 * (bench/lib/nginx.ts). Everything is stopped and removed by `stop()`, and killed if the
 * process exits first. Used by bench/lib/cluster.test.ts and bench/cluster.ts.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatabaseHandle } from "@/db/client";
import { openPostgresDatabase } from "@/db/client";
import { startTestPostgres } from "@/db/testing/postgres";
import type { TestPostgres } from "@/db/testing/postgres";
import { createApiKey, createProject } from "@/lib/auth/api-keys";
import type { Role } from "@/lib/auth/users";
import { freePort } from "@/lib/testing/ports";
import { createUser } from "@/lib/auth/users";
import { startTestS3Server } from "@/lib/storage/testing/s3-server";
import type { TestS3Server } from "@/lib/storage/testing/s3-server";
import { startNginx } from "./nginx";
import type { Nginx } from "./nginx";
import { killServerHard, startServer, stopServer } from "./server";
import type { Server } from "./server";

export interface ClusterOptions {
  /** How many `next start` instances (default 2). */
  instances?: number;
  /** Extra environment for every instance (VIGIL_CLAIM_LEASE_SECONDS, VIGIL_WEBHOOK_*...). */
  env?: Record<string, string>;
  /** How long one instance may take to answer /api/health 200 (default 180 s). */
  startTimeoutMs?: number;
  /** How long nginx leaves out an instance after a failure (default 2 s). */
  failTimeoutSeconds?: number;
  /** Where progress goes (default: nowhere). */
  log?: (message: string) => void;
}

export interface Instance {
  index: number;
  port: number;
  /** `127.0.0.1:<port>`, as nginx's X-Vigil-Upstream header and access log name it. */
  address: string;
  server: Server;
  /** False between `kill` and `restart`. */
  alive: boolean;
}

export interface Cluster {
  /** nginx: what clients talk to. */
  url: string;
  instances: Instance[];
  databaseUrl: string;
  /** A pool on the cluster's database, for fixtures and checks (the instances have their own). */
  database: DatabaseHandle;
  s3: TestS3Server;
  nginx: Nginx;
  /** The project every fixture belongs to, and an API key of it with every scope. */
  project: { id: string; slug: string };
  apiKey: string;
  /** The environment each instance got beyond its own VIGIL_DATA_DIR (to start a like one). */
  instanceEnv: Record<string, string>;
  /** Makes a console user directly in the database; the password is for signing in over HTTP. */
  addUser(email: string, role: Role): Promise<{ id: string; email: string; password: string; actor: string }>;
  /** kill -9 of the instance's serving process and its group; nginx is not told. */
  kill(index: number): Promise<{ pid: number }>;
  /** Starts a killed instance again on its port and data directory; resolves once it is healthy. */
  restart(index: number): Promise<Instance>;
  stop(): Promise<void>;
}

/** Starts the whole deployment; on any failure what was started is stopped before the error is thrown. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const log = options.log ?? (() => undefined);
  const count = options.instances ?? 2;
  const undo: Array<() => Promise<void>> = [];
  const groups = new Set<number>();
  const killAll = () => {
    for (const group of groups) {
      try {
        process.kill(-group, "SIGKILL");
      } catch {
        // already gone
      }
    }
  };
  process.on("exit", killAll);
  const stopAll = async () => {
    for (const step of undo.reverse()) await step().catch((error: unknown) => console.error(`cluster: cleanup step failed: ${error instanceof Error ? error.message : error}`));
    undo.length = 0;
    process.off("exit", killAll);
  };
  try {
    const started = performance.now();
    const pg: TestPostgres = await startTestPostgres();
    undo.push(() => pg.stop());
    // Migrated here, so instances starting together find the schema in place.
    const database = await openPostgresDatabase(pg.url, 4, { searchIndex: "exact" });
    undo.push(() => database.close());
    const s3 = await startTestS3Server("vigil-cluster");
    undo.push(() => s3.stop());
    log(`cluster: PostgreSQL ${pg.url} and s3rver ${s3.endpoint} ready in ${Math.round(performance.now() - started)} ms`);

    const db = database.db;
    const project = await createProject(db, { slug: "cluster", name: "Cluster test" });
    const { secret: apiKey } = await createApiKey(db, { projectId: project.id, name: "cluster key" });
    const root = await mkdtemp(join(tmpdir(), "vigil-cluster-"));
    undo.push(() => rm(root, { recursive: true, force: true }));

    const instanceEnv: Record<string, string> = {
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      DATABASE_URL: pg.url,
      // One key for every instance: images sealed by one are opened by the others, and so are
      // console sessions and webhook secrets (both derived from it).
      VIGIL_STORAGE_KEY: randomBytes(32).toString("base64"),
      VIGIL_S3_BUCKET: s3.bucket,
      VIGIL_S3_ENDPOINT: s3.endpoint,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      VIGIL_DEMO_DATA: "0",
      VIGIL_SEARCH_INDEX: "exact",
      // Two cores shared by all instances: one inference worker each.
      VIGIL_INFERENCE_CONCURRENCY: "1",
      VIGIL_API_RATE_LIMIT_PER_MINUTE: "0",
      ...options.env,
    };
    const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
    const instances: Instance[] = [];
    const startInstance = async (index: number): Promise<Server> => {
      const server = await startServer({ port: ports[index], dataDir: join(root, `instance-${index}`), env: instanceEnv, timeoutMs: options.startTimeoutMs ?? 180_000 });
      groups.add(server.groupId);
      return server;
    };
    undo.push(async () => {
      for (const instance of instances) if (instance.alive) await stopServer(instance.server);
    });
    // Together: the schema is in place, and start-up is mostly each instance warming its models.
    const servers = await Promise.allSettled(ports.map((_, index) => startInstance(index)));
    servers.forEach((s, index) => {
      if (s.status === "fulfilled") instances.push({ index, port: ports[index], address: `127.0.0.1:${ports[index]}`, server: s.value, alive: true });
    });
    const failed = servers.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) throw failed.reason;
    log(`cluster: ${count} instances healthy (${instances.map((i) => `${i.address} in ${Math.round(i.server.startMs)} ms`).join(", ")})`);

    const nginx = await startNginx({ port: await freePort(), upstreams: instances.map((i) => i.address), failTimeoutSeconds: options.failTimeoutSeconds });
    undo.push(() => nginx.stop());
    log(`cluster: nginx ${nginx.url} in front, config ${nginx.dir}/nginx.conf`);

    return {
      url: nginx.url,
      instances,
      databaseUrl: pg.url,
      database,
      s3,
      nginx,
      project: { id: project.id, slug: project.slug },
      apiKey,
      instanceEnv,
      async addUser(email, role) {
        const password = `pw-${randomBytes(12).toString("hex")}`;
        const user = await createUser(db, { email, role, password });
        return { id: user.id, email: user.email, password, actor: `user:${user.id}` };
      },
      async kill(index) {
        const instance = instances[index];
        const killed = await killServerHard(instance.server);
        instance.alive = false;
        return killed;
      },
      async restart(index) {
        const instance = instances[index];
        if (instance.alive) throw new Error(`instance ${index} is running`);
        instance.server = await startInstance(index);
        instance.alive = true;
        return instance;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Which instance served a response, from nginx's X-Vigil-Upstream header (the last address when it retried). */
export function servedBy(cluster: Cluster, upstreamHeader: string | null): number | null {
  const last = upstreamHeader?.split(",").pop()?.trim();
  const instance = cluster.instances.find((i) => i.address === last);
  return instance ? instance.index : null;
}
