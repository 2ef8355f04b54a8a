import "server-only";
import { count } from "drizzle-orm";
import type { Database } from "@/db/client";
import { isUniqueViolation } from "@/db/errors";
import { projects } from "@/db/schema";
import { createApiKey, createProject } from "@/lib/auth/api-keys";
import type { Role } from "@/lib/auth/users";
import { countUsers, createUser, generatePassword } from "@/lib/auth/users";
import { getEnv } from "@/lib/env";
import { isAppError } from "@/lib/errors";
import type { ImageStore } from "@/lib/storage";
import { seedDemoData } from "./demo";
import { recoverStagedImages } from "./service";

/** The console accounts made when there are none; their passwords are shown once. */
export const FIRST_USERS: ReadonlyArray<{ email: string; role: Role }> = [
  { email: "admin@vigil.local", role: "admin" },
  { email: "reviewer@vigil.local", role: "reviewer" },
];

export interface StartupReport {
  recovered: { published: number; discarded: number };
  /** The demo project's API key, on the first start only. */
  demoKey: string | null;
  /** Console accounts created because the users table was empty, with their generated passwords. */
  createdUsers: Array<{ email: string; role: Role; password: string }>;
  /**
   * The demo verifications seeded on the first start, or why there are none (opted out, or
   * seeding failed); null on later starts.
   */
  demoData: { verifications: number; inReview: number } | { skipped: string } | { failed: string } | null;
}

/**
 * Start-up work of a server process: settle images a crash left staged; when nobody can sign
 * in to the console yet, create an admin and (with demo data) a reviewer; and on the very
 * first start (no project yet) create a `demo` project with an API key and seed it with demo
 * verifications, so a newcomer can call the API and work the review queue straight away.
 * Passwords and the key are returned to be printed once; only their hashes are stored.
 *
 * The seed runs only in the start that created the demo project, so it never runs twice. It
 * needs the inference workers: pass `inferenceReady` when they are still starting. A seed that
 * fails is reported in `demoData`, not thrown: the server runs without demo data.
 */
export async function prepareStorage(db: Database, store: ImageStore, options: { inferenceReady?: Promise<unknown> } = {}): Promise<StartupReport> {
  const demo = getEnv().VIGIL_DEMO_DATA;
  const recovered = await recoverStagedImages(db, store);
  const createdUsers = (await countUsers(db)) === 0 ? await createFirstUsers(db, demo) : [];
  const [{ n }] = await db.select({ n: count() }).from(projects);
  if (n > 0) return { recovered, demoKey: null, createdUsers, demoData: null };
  let project;
  try {
    project = await createProject(db, { slug: "demo", name: "Demo project" });
  } catch (error) {
    // Another instance starting at the same moment on the same database made it first.
    if (isUniqueViolation(error)) return { recovered, demoKey: null, createdUsers, demoData: null };
    throw error;
  }
  const { secret } = await createApiKey(db, { projectId: project.id, name: "demo key" });
  if (!demo) return { recovered, demoKey: secret, createdUsers, demoData: { skipped: "VIGIL_DEMO_DATA=0" } };
  try {
    await options.inferenceReady;
    return { recovered, demoKey: secret, createdUsers, demoData: await seedDemoData(db, store, project.id) };
  } catch (error) {
    return { recovered, demoKey: secret, createdUsers, demoData: { failed: error instanceof Error ? error.message : String(error) } };
  }
}

async function createFirstUsers(db: Database, withReviewer: boolean): Promise<StartupReport["createdUsers"]> {
  const created: StartupReport["createdUsers"] = [];
  for (const { email, role } of FIRST_USERS) {
    if (role !== "admin" && !withReviewer) continue;
    const password = generatePassword();
    try {
      await createUser(db, { email, role, password });
      created.push({ email, role, password });
    } catch (error) {
      // Another instance starting at the same moment made it first.
      if (!(isAppError(error) && error.code === "EMAIL_TAKEN")) throw error;
    }
  }
  return created;
}
