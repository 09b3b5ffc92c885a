/**
 * JSON-RPC 2.0 client for Kamailio's jsonrpcs module over HTTP (xhttp), with typed helpers for
 * the remote registrations (uac), the routing htables and the dispatcher.
 */
import { request } from "undici";
import type { GatewayHtable, UacregRow } from "./render.ts";

/** Kamailio answered with a JSON-RPC error, an HTTP error or not at all. */
export class KamailioRpcError extends Error {
  override readonly name = "KamailioRpcError";
  constructor(
    readonly method: string,
    /** JSON-RPC error code (Kamailio uses SIP-like codes: 500, 404…), or null when unreachable. */
    readonly code: number | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${method}: ${message}`, options);
  }
}

/** Value Kamailio's RPC layer accepts as a parameter. */
export type RpcParam = string | number;

/** One remote registration to hand to `uac.reg_add`: a uacreg row, or an HA1 for its password. */
export interface RegistrationSpec extends UacregRow {
  /** With an HA1, the clear-text password may be null. */
  authHa1?: string | null;
}

/** Where a registration stands, derived from the uac record's flags and timers. */
export type RegistrationState =
  | "registered"
  | "registering"
  | "failed"
  | "unregistered"
  | "disabled"
  | "pending";

/** A uac registration record as `uac.reg_dump` / `uac.reg_info` return it, plus its state. */
export interface RegistrationRecord {
  lUuid: string;
  lUsername: string;
  lDomain: string;
  rUsername: string;
  rDomain: string;
  realm: string;
  authUsername: string;
  authProxy: string;
  expires: number;
  /** uac flags: 1 disabled, 2 in progress, 4 online, 8 auth sent, 16 initialised. */
  flags: number;
  state: RegistrationState;
  /** When the record was added (reg_init). */
  addedAt: Date | null;
  /** When uac acts on it next: refresh when registered, retry when failed. */
  nextActionAt: Date | null;
  /** Start of the current registration, derived (timer_expires − expires) when registered. */
  lastRegisteredAt: Date | null;
  contactAddr: string;
  socket: string;
}

const UAC_DISABLED = 1;
const UAC_ONGOING = 2;
const UAC_ONLINE = 4;
const UAC_INIT = 16;

/**
 * The state Kamailio 5.6's uac implies: online with an unexpired timer is registered; expires 0
 * is what `uac.reg_unregister` leaves; a record that was tried and is neither online nor in
 * progress has failed (uac keeps no SIP code: its log does).
 */
export function registrationState(
  flags: number,
  timerExpires: number,
  expires: number,
  now: number,
): RegistrationState {
  if (flags & UAC_DISABLED) return "disabled";
  if (flags & UAC_ONGOING) return "registering";
  if (expires === 0) return "unregistered";
  if (flags & UAC_ONLINE && timerExpires > now) return "registered";
  if (flags & UAC_INIT) return "failed";
  return "pending";
}

const str = (value: unknown) => (typeof value === "string" ? value : "");
const num = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : 0);
const date = (seconds: number) => (seconds > 0 ? new Date(seconds * 1000) : null);

/** Parses one record of `uac.reg_dump` / `uac.reg_info`; `now` in Unix seconds. */
export function parseRegistrationRecord(raw: unknown, now: number): RegistrationRecord {
  const r = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const flags = num(r.flags);
  const timerExpires = num(r.timer_expires);
  const expires = num(r.expires);
  const state = registrationState(flags, timerExpires, expires, now);
  return {
    lUuid: str(r.l_uuid),
    lUsername: str(r.l_username),
    lDomain: str(r.l_domain),
    rUsername: str(r.r_username),
    rDomain: str(r.r_domain),
    realm: str(r.realm),
    authUsername: str(r.auth_username),
    authProxy: str(r.auth_proxy),
    expires,
    flags,
    state,
    addedAt: date(num(r.reg_init)),
    nextActionAt: date(timerExpires),
    lastRegisteredAt: state === "registered" ? date(timerExpires - expires) : null,
    contactAddr: str(r.contact_addr),
    socket: str(r.socket),
  };
}

/**
 * The 15 positional parameters of Kamailio 5.6.3's `uac.reg_add`, in its order (verified against
 * the running binary): l_uuid, l_username, l_domain, r_username, r_domain, realm, auth_username,
 * auth_password, auth_ha1, auth_proxy, expires, flags, reg_delay, socket, contact_addr. A dot
 * stands for "no value" in auth_password and auth_ha1.
 */
export function regAddParams(spec: RegistrationSpec): RpcParam[] {
  if (!spec.authPassword && !spec.authHa1) {
    throw new Error(`registration ${spec.lUuid}: authPassword or authHa1 is required`);
  }
  return [
    spec.lUuid,
    spec.lUsername,
    spec.lDomain,
    spec.rUsername,
    spec.rDomain,
    spec.realm,
    spec.authUsername,
    spec.authPassword || ".",
    spec.authHa1 || ".",
    spec.authProxy,
    spec.expires,
    0,
    spec.regDelay ?? 0,
    spec.socket ?? "",
    spec.contactAddr ?? "",
  ];
}

/** One entry of an htable dump. */
export interface HtableEntry {
  name: string;
  value: string | number;
}

/** One dispatcher destination and its flags (`A` active, `I` inactive, `P` probing, `X` …). */
export interface DispatcherTarget {
  setId: number;
  uri: string;
  flags: string;
  priority: number;
}

/** Options of `createKamailioRpc`. */
export interface KamailioRpcOptions {
  /** e.g. `http://127.0.0.1:5081/RPC` */
  url: string;
  timeoutMs?: number;
  /** Unix seconds "now" for state derivation; tests may pin it. */
  now?: () => number;
}

/**
 * One of Kamailio's statistics by name (`stats.get_statistics`, whose lines read
 * `group:name = value`; a module's counters are summed over its processes).
 */
export async function readStatistic(
  call: <T>(method: string, params?: RpcParam[]) => Promise<T>,
  name: string,
): Promise<number> {
  const lines = await call<string[]>("stats.get_statistics", [name]);
  const line = lines.find((l) => l.split("=")[0]?.trim().endsWith(`:${name}`));
  const value = Number(line?.split("=")[1]);
  if (line === undefined || !Number.isFinite(value))
    throw new Error(`statistic ${name} not in ${JSON.stringify(lines)}`);
  return value;
}

/** Creates a JSON-RPC client for one Kamailio; every helper is one or a few RPC calls. */
export function createKamailioRpc(options: KamailioRpcOptions) {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  let nextId = 1;

  /**
   * Calls `method` with positional `params`; resolves with `result`, rejects with KamailioRpcError.
   * Over undici's `request` (kept-alive connections), not `fetch`: a reconcile pass after a start
   * makes a call per htable key and registration (110,000 for 10,000 devices), and `fetch` costs
   * about five times the CPU a call.
   */
  async function call<T = unknown>(method: string, params: RpcParam[] = []): Promise<T> {
    const id = nextId++;
    let status: number;
    let text: string;
    try {
      const response = await request(options.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", method, params, id }),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      throw new KamailioRpcError(method, null, "Kamailio did not answer", { cause: error });
    }
    let body: { result?: T; error?: { code?: number; message?: string } };
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new KamailioRpcError(method, status, `not JSON (HTTP ${status})`, {
        cause: error,
      });
    }
    if (body.error) {
      throw new KamailioRpcError(method, body.error.code ?? null, body.error.message ?? "error");
    }
    return body.result as T;
  }

  const isNotFound = (error: unknown) =>
    error instanceof KamailioRpcError && error.code !== null && error.code === 404;

  /**
   * Adds a registration; uac sends its first REGISTER on its next timer pass. Kamailio 5.6
   * refuses an l_uuid it already holds (KamailioRpcError code 409): see `regReplace`.
   */
  async function regAdd(spec: RegistrationSpec): Promise<void> {
    await call("uac.reg_add", regAddParams(spec));
  }

  /** Adds a registration, dropping (without unregistering) a record with the same l_uuid first. */
  async function regReplace(spec: RegistrationSpec): Promise<void> {
    try {
      await call("uac.reg_remove", [spec.lUuid]);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    await regAdd(spec);
  }

  /** The registration with this l_uuid, or null when uac has none. */
  async function regInfo(lUuid: string): Promise<RegistrationRecord | null> {
    try {
      return parseRegistrationRecord(await call("uac.reg_info", ["l_uuid", lUuid]), now());
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Every registration uac holds. */
  async function regDump(): Promise<RegistrationRecord[]> {
    const result = await call<unknown>("uac.reg_dump");
    const records = Array.isArray(result) ? result : [];
    const at = now();
    return records.map((record) => parseRegistrationRecord(record, at));
  }

  /**
   * Removes a registration. When it is registered, first unregisters it at the PBX (REGISTER
   * with Expires 0, answering the digest challenge) and waits for that to finish, because uac
   * needs the record to answer the challenge; then drops the record. Absent already → no-op.
   */
  async function regRemove(lUuid: string, o: { unregisterTimeoutMs?: number } = {}): Promise<void> {
    const record = await regInfo(lUuid);
    if (!record) return;
    if (record.state === "registered" || record.state === "registering") {
      await call("uac.reg_unregister", ["l_uuid", lUuid]);
      const deadline = Date.now() + (o.unregisterTimeoutMs ?? 5_000);
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const current = await regInfo(lUuid);
        if (!current || !(current.flags & UAC_ONGOING) || Date.now() > deadline) break;
      }
    }
    try {
      await call("uac.reg_remove", [lUuid]);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /**
   * Takes a registration out of uac's retries (`uac.reg_disable`), or gives it back and has it
   * sent within a second (`uac.reg_enable`). Absent → no-op.
   */
  async function regSetEnabled(lUuid: string, enabled: boolean): Promise<void> {
    try {
      await call(enabled ? "uac.reg_enable" : "uac.reg_disable", ["l_uuid", lUuid]);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** Sets a string value in one of the gateway's htables. */
  async function htableSet(table: GatewayHtable, key: string, value: string): Promise<void> {
    await call("htable.sets", [table, key, value]);
  }

  /** Deletes a key from one of the gateway's htables (absent key: no-op). */
  async function htableDelete(table: GatewayHtable, key: string): Promise<void> {
    await call("htable.delete", [table, key]);
  }

  /** Every entry of one of the gateway's htables. */
  async function htableDump(table: GatewayHtable): Promise<HtableEntry[]> {
    const result = await call<unknown>("htable.dump", [table]);
    const slots = Array.isArray(result) ? result : [];
    return slots.flatMap((slot: { slot?: Array<{ name?: unknown; value?: unknown }> }) =>
      (slot.slot ?? []).map((entry) => ({
        name: str(entry.name),
        value: typeof entry.value === "number" ? entry.value : str(entry.value),
      })),
    );
  }

  /** The dispatcher's destinations, flattened across sets. */
  async function dispatcherList(): Promise<DispatcherTarget[]> {
    const result = await call<{
      RECORDS?: Array<{
        SET?: { ID?: number; TARGETS?: Array<{ DEST?: Record<string, unknown> }> };
      }>;
    }>("dispatcher.list");
    return (result?.RECORDS ?? []).flatMap((record) =>
      (record.SET?.TARGETS ?? []).map((target) => ({
        setId: num(record.SET?.ID),
        uri: str(target.DEST?.URI),
        flags: str(target.DEST?.FLAGS),
        priority: num(target.DEST?.PRIORITY),
      })),
    );
  }

  /** Seconds since Kamailio started: also a cheap liveness probe. */
  async function coreUptime(): Promise<number> {
    const result = await call<{ uptime?: number }>("core.uptime");
    return num(result?.uptime);
  }

  return {
    call,
    regAdd,
    regReplace,
    regInfo,
    regDump,
    regRemove,
    regSetEnabled,
    htableSet,
    htableDelete,
    htableDump,
    dispatcherList,
    coreUptime,
  };
}

/** A JSON-RPC client for one Kamailio. */
export type KamailioRpc = ReturnType<typeof createKamailioRpc>;
