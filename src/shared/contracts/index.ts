export * from "./audit.ts";
export * from "./auth.ts";
export * from "./catalog.ts";
export * from "./common.ts";
export * from "./enterprises.ts";
export * from "./organizations.ts";
export * from "./registration.ts";
export * from "./workflows.ts";
