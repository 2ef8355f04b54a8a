/**
 * Runs once when a server process starts: migrates the database, settles images a crash
 * left staged, seeds a demo project on the first start, and starts the inference workers,
 * which load and warm their models, so that the first request pays for none of it.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startInference } = await import("@/lib/inference/pool");
  const { getDb } = await import("@/db/client");
  const { getImageStore } = await import("@/lib/storage");
  const { prepareStorage } = await import("@/lib/verification/startup");
  const inference = startInference();
  try {
    const { recovered, demoKey } = await prepareStorage(await getDb(), getImageStore());
    if (recovered.published + recovered.discarded > 0) {
      console.log(`vigil: recovered staged images: ${recovered.published} published, ${recovered.discarded} discarded`);
    }
    if (demoKey) {
      console.log(`\nvigil: first start: created project "demo" with API key (shown once, keep it):\n\n    ${demoKey}\n`);
    }
  } catch (error) {
    // Requests then fail with their own clear errors; the message here says what to fix.
    console.error(`vigil: storage not ready: ${error instanceof Error ? error.message : String(error)}`);
  }
  await inference.then(
    ({ workers, ms }) => console.log(`vigil: ${workers} inference workers ready in ${Math.round(ms)} ms`),
    // The server still starts; inference requests answer MODELS_UNAVAILABLE with the fix.
    (error: unknown) => console.error(`vigil: models not loaded: ${error instanceof Error ? error.message : String(error)}`),
  );
}
