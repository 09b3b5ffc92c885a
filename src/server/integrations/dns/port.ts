/**
 * The DNS port: publishes the TXT records that prove a derived trunk domain to Microsoft, and
 * reads them back as the authoritative server answers. Adapters: `emulator` (the Microsoft
 * emulator's DNS, through its control API) and `rfc2136` (dynamic update signed with TSIG to a
 * real authoritative server), chosen by `DNS_ADAPTER`. Failures are `AppError`s:
 * `dns_unavailable` (timeout, SERVFAIL, unreachable: transient) or `dns_rejected` (REFUSED,
 * NOTAUTH or a bad TSIG key, NOTZONE: retrying will not help), with the server's answer as `cause`.
 */
export interface Dns {
  /** Which adapter this is, for logs and the dashboard. */
  readonly kind: "emulator" | "rfc2136";
  /**
   * Adds the TXT record `value` at `name` (a fully qualified name, no trailing dot). Idempotent:
   * publishing a record that already exists succeeds and leaves one copy.
   */
  publishTxt(name: string, value: string, options?: { ttlSeconds?: number }): Promise<void>;
  /** Removes the TXT record `value` at `name`; a record that is not there is not an error. */
  removeTxt(name: string, value: string): Promise<void>;
  /** The TXT values at `name` as the authoritative server answers now (empty when none). */
  lookupTxt(name: string): Promise<string[]>;
  close(): Promise<void>;
}
