/**
 * Runs once when a server process starts: starts the inference workers, which load and
 * warm their models, so that the first request pays for neither.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startInference } = await import("@/lib/inference/pool");
  await startInference().then(
    ({ workers, ms }) => console.log(`vigil: ${workers} inference workers ready in ${Math.round(ms)} ms`),
    // The server still starts; inference requests answer MODELS_UNAVAILABLE with the fix.
    (error: unknown) => console.error(`vigil: models not loaded: ${error instanceof Error ? error.message : String(error)}`),
  );
}
