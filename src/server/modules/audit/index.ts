export { listAuditEntries } from "./audit.queries.ts";
export { type AuditInput, recordAudit } from "./commands/record-audit.ts";
