export * from "./accounts.ts";
export * from "./catalog.ts";
export * from "./enterprises.ts";
export * from "./events.ts";
export * from "./invitations.ts";
export * from "./microsoft.ts";
export * from "./organizations.ts";
export * from "./users.ts";
