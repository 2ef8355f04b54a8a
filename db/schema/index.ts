export * from "./projects";
export * from "./verifications";
export * from "./users";
export * from "./webhooks";
export * from "./gallery";
