export { analyzeFaces, compareFaces } from "./analyze";
export type { AnalyzeOptions, Face, FaceAnalysis, FaceComparison, SubjectFace } from "./analyze";
export { cosineSimilarity } from "./face";
export type { FaceQuality, QualityFlag } from "./face";
export { getSessionPool, modelInfo } from "./models";
export type { ImageInput } from "./image";
