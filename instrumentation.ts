/**
 * Runs once when a server process starts: creates and warms the model sessions so that the
 * first request does not pay for them.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { warmUp } = await import("@/lib/inference/warm-up");
  await warmUp().catch((error: unknown) => {
    // The server still starts; inference requests answer MODELS_UNAVAILABLE with the fix.
    console.error(`vigil: models not loaded: ${error instanceof Error ? error.message : String(error)}`);
  });
}
