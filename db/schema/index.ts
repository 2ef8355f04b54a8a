export * from "./projects";
export * from "./verifications";
