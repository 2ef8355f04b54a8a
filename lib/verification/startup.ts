import "server-only";
import { count } from "drizzle-orm";
import type { Database } from "@/db/client";
import { projects } from "@/db/schema";
import { createApiKey, createProject } from "@/lib/auth/api-keys";
import type { ImageStore } from "@/lib/storage";
import { recoverStagedImages } from "./service";

/**
 * Start-up work of a server process: settle images a crash left staged, and on the very
 * first start (no project yet) create a `demo` project with an API key printed once, so a
 * newcomer can call the API straight away.
 */
export async function prepareStorage(db: Database, store: ImageStore): Promise<{ recovered: { published: number; discarded: number }; demoKey: string | null }> {
  const recovered = await recoverStagedImages(db, store);
  const [{ n }] = await db.select({ n: count() }).from(projects);
  if (n > 0) return { recovered, demoKey: null };
  const project = await createProject(db, { slug: "demo", name: "Demo project" });
  const { secret } = await createApiKey(db, { projectId: project.id, name: "demo key" });
  return { recovered, demoKey: secret };
}
