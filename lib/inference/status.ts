import "server-only";
import { isAppError } from "@/lib/errors";
import { getSessionPool, modelInfo, modelKeys } from "./models";

export interface ModelStatus {
  ready: boolean;
  sessions: number;
  error: string | null;
  models: Array<{ key: string; id: string; version: string; sha256: string }>;
}

/** Whether the model sessions are loaded, for the health check and the home page. */
export async function getModelStatus(): Promise<ModelStatus> {
  const models = modelKeys.map((key) => ({ key, ...modelInfo[key] }));
  try {
    const pool = await getSessionPool();
    return { ready: true, sessions: pool.size, error: null, models };
  } catch (error) {
    return { ready: false, sessions: 0, error: isAppError(error) ? error.message : "Model sessions failed to load.", models };
  }
}
