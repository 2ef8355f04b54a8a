export { analyzeFaces, startInference, stopInference } from "./pool";
export { compareFaces } from "./compare";
export type { FaceComparison } from "./compare";
export type { AnalyzeOptions, Face, FaceAnalysis, SubjectFace } from "./analyze";
export { cosineSimilarity } from "./face";
export type { FaceQuality, QualityFlag } from "./face";
export { modelInfo } from "./models";
export type { ImageInput } from "./image";
