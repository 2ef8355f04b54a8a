/** How often a server that started while its database was down tries to reach it again. */
const DATABASE_RETRY_MS = 5_000;

/**
 * Runs once when a server process starts: migrates the database, settles images a crash
 * left staged, creates the first console users and, on the first start, a demo project
 * seeded with verifications (printing the new secrets once), and starts the inference
 * workers, which load and warm their models, so that the first request pays for none of it.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startInference } = await import("@/lib/inference/pool");
  const { getDb } = await import("@/db/client");
  const { getImageStore } = await import("@/lib/storage");
  const { prepareStorage } = await import("@/lib/verification/startup");
  const inference = startInference();
  // Reported below; until then an early failure must not count as an unhandled rejection.
  inference.catch(() => undefined);
  const startStorageAndLoops = async (db: Awaited<ReturnType<typeof getDb>>) => {
    try {
      // Demo verifications are seeded through the workers, so the first start waits for them.
      const { recovered, demoKey, createdUsers, demoData } = await prepareStorage(db, getImageStore(), { inferenceReady: inference });
      if (recovered.published + recovered.discarded > 0) {
        console.log(`vigil: recovered staged images: ${recovered.published} published, ${recovered.discarded} discarded`);
      }
      if (demoKey) {
        console.log(`\nvigil: first start: created project "demo" with API key (shown once, keep it):\n\n    ${demoKey}\n`);
      }
      if (createdUsers.length > 0) {
        const width = Math.max(...createdUsers.map((u) => u.email.length));
        const lines = createdUsers.map((u) => `    ${u.email.padEnd(width)}  ${u.role.padEnd(8)}  ${u.password}`).join("\n");
        console.log(`${demoKey ? "" : "\n"}vigil: created console users, sign in at /login (passwords shown once, keep them):\n\n${lines}\n`);
      }
      if (demoData && "verifications" in demoData) console.log(`vigil: demo data: ${demoData.verifications} verifications, ${demoData.inReview} in review`);
      else if (demoData && "skipped" in demoData) console.log(`vigil: demo data: skipped (${demoData.skipped})`);
      // The server runs without demo data; requests answer with their own errors if models are missing.
      else if (demoData) console.error(`vigil: demo data not seeded: ${demoData.failed}`);
    } catch (error) {
      // Requests then fail with their own clear errors; the message here says what to fix.
      console.error(`vigil: storage not ready: ${error instanceof Error ? error.message : String(error)}`);
    }
    try {
      // Sends the webhook outbox: deliveries queued before a restart, or left by a process that died, go out from here.
      const { startWebhooks } = await import("@/lib/webhooks/startup");
      startWebhooks(db);
    } catch (error) {
      console.error(`vigil: webhooks not started: ${error instanceof Error ? error.message : String(error)}`);
    }
    try {
      // Purges images past their project's retention: a minute after start, then hourly.
      const { startRetention } = await import("@/lib/retention/startup");
      startRetention(db, getImageStore());
    } catch (error) {
      console.error(`vigil: image retention not started: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  try {
    await startStorageAndLoops(await getDb());
  } catch (error) {
    // The database is down at start (PostgreSQL restarting, not up yet): requests answer 503
    // DATABASE_UNAVAILABLE and /api/health says so; start-up work and the loops wait for it.
    const { describeDatabaseError } = await import("@/db/errors");
    console.error(`vigil: database not reachable at start (${describeDatabaseError(error)}); trying again every ${DATABASE_RETRY_MS / 1000} s`);
    const retry = () =>
      setTimeout(() => {
        getDb().then(startStorageAndLoops, retry);
      }, DATABASE_RETRY_MS);
    retry();
  }
  await inference.then(
    ({ workers, ms }) => console.log(`vigil: ${workers} inference workers ready in ${Math.round(ms)} ms`),
    // The server still starts; inference requests answer MODELS_UNAVAILABLE with the fix.
    (error: unknown) => console.error(`vigil: models not loaded: ${error instanceof Error ? error.message : String(error)}`),
  );
}
