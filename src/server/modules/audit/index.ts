export { listAuditEntries } from "./audit.queries.ts";
export { auditRoutes } from "./audit.routes.ts";
export { type AuditInput, recordAudit } from "./commands/record-audit.ts";
