import type { DatabaseHandle } from "@/db/client";
import { openMemoryDatabase, openPostgresDatabase } from "@/db/client";
import { postgresUnavailableReason, startTestPostgres } from "./postgres";

export interface TestBackend {
  name: string;
  /** True where PostgreSQL cannot run here; the reason was printed once. */
  skip: boolean;
  open(): Promise<{ handle: DatabaseHandle; stop(): Promise<void> }>;
}

/**
 * The two databases a storage suite runs on: in-memory PGlite, and a throwaway PostgreSQL 15
 * cluster (skipped, with the reason printed, where its binaries are missing). `connections`
 * sizes the PostgreSQL pool, for suites whose concurrency must really run at once.
 */
export function testBackends(suite: string, connections = 10): TestBackend[] {
  const reason = postgresUnavailableReason();
  if (reason) console.warn(`PostgreSQL ${suite} tests skipped: ${reason}`);
  return [
    { name: "PGlite (in memory)", skip: false, open: async () => ({ handle: await openMemoryDatabase(), stop: async () => {} }) },
    {
      name: "PostgreSQL 15",
      skip: reason !== null,
      open: async () => {
        const server = await startTestPostgres();
        return { handle: await openPostgresDatabase(server.url, connections), stop: server.stop };
      },
    },
  ];
}
