import "server-only";
import { isAppError } from "@/lib/errors";
import { modelInfo, modelKeys } from "./models";
import { startInference } from "./pool";

export interface ModelStatus {
  ready: boolean;
  workers: number;
  error: string | null;
  models: Array<{ key: string; id: string; version: string; sha256: string }>;
}

/** Whether the inference workers have loaded their models, for the health check and the home page. */
export async function getModelStatus(): Promise<ModelStatus> {
  const models = modelKeys.map((key) => ({ key, ...modelInfo[key] }));
  try {
    const { workers } = await startInference();
    return { ready: true, workers, error: null, models };
  } catch (error) {
    return { ready: false, workers: 0, error: isAppError(error) ? error.message : "The inference workers failed to start.", models };
  }
}
