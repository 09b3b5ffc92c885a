export interface AuditEntryView {
  id: string;
  at: string;
  actor: { id: string | null; label: string };
  action: string;
  target: { type: string; id: string; label: string | null };
  before: unknown;
  after: unknown;
  clientAddress: string | null;
}
