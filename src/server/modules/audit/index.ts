export { listAuditEntries } from "./audit.queries.ts";
