import { createHash } from "node:crypto";
import type { GatewayPbx, GatewayUser } from "../../shared/contracts/gateway.ts";
import type { RegionState } from "../state.ts";

/*
 * What Kamailio's `uac` module must hold for this node: one registration per device the node
 * holds a lease for, whose user may register. Pure: the applier (Kamailio JSON-RPC
 * `uac.reg_add` / `uac.reg_remove`) lives beside Kamailio. Field names follow `uac` (`l_uuid`,
 * `r_username`, …) so the mapping to `reg_add` and `reg_dump` is one to one.
 */

/** One registration as `uac.reg_add` needs it, plus who it is for. */
export interface Registration {
  /** The device id: deterministic, so a restart finds its own registrations again. */
  l_uuid: string;
  /** The Contact's user part: the device id, so a call from the PBX names the device. */
  l_username: string;
  /** The AOR at the PBX: `r_username@r_domain` (the user's `ext@domain`). */
  r_username: string;
  r_domain: string;
  auth_username: string;
  auth_password: string;
  /** The outbound proxy URI, from the PBX's proxy/domain, DNS lookup and transport (`pbxProxyUri`). */
  auth_proxy: string;
  /** Seconds asked of the PBX: the location's expiry less the device's jitter (`requestedExpires`). */
  expires: number;
  userId: string;
  enterpriseId: string;
  pbxId: string;
}

/**
 * A registration as Kamailio holds it (from `uac.reg_dump`), reduced to what decides whether it
 * must change; the password only as `passwordDigest(auth_password)`.
 */
export interface ActualRegistration {
  l_uuid: string;
  l_username: string;
  r_username: string;
  r_domain: string;
  auth_username: string;
  auth_proxy: string;
  expires: number;
  passwordDigest: string;
}

/** What to do to Kamailio, each list sorted by `l_uuid`. */
export interface RegistrationPlan {
  add: Registration[];
  /** `l_uuid`s to remove (no lease, user gone or disabled, …). */
  remove: string[];
  /** Changed (password, AOR, PBX setting): apply as `reg_remove` then `reg_add`. */
  update: Registration[];
}

/** SHA-256 (hex) of a password: what the plan compares, so the actual side need not keep it. */
export function passwordDigest(password: string): string {
  return createHash("sha256").update(password, "utf8").digest("hex");
}

/** The most a device's requested expiry is shortened by, as a share of its PBX's expiry. */
export const refreshJitterShare = 0.1;
/** The shortest expiry jitter may ask for (s); a PBX expiry at or below it is asked as it is. */
export const minimumJitteredExpires = 60;

/** FNV-1a (32 bits) of a string's UTF-16 units: cheap, deterministic, well spread for ids. */
function fnv1a(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The expiry a device asks of its PBX: the location's `registrationExpiry` less a jitter of 0 to
 * 10 % derived from the device id (so the same on every node and every pass), never below 60 s.
 * Why: uac 5.6 refreshes a registration when the expiry the 200 OK granted, counted from when
 * the REGISTER was sent, is within `reg_timer_interval + 3` s. Devices registered together (a
 * cold start sends them all in one timer tick) would otherwise refresh in the same second every
 * period; asked for different expiries, they refresh spread over a tenth of it (300 s: 30 s).
 * A PBX that grants less than asked (its own maximum) spreads them only as far as it lets them.
 */
export function requestedExpires(registrationExpiry: number, deviceId: string): number {
  const spread = Math.min(
    Math.floor(registrationExpiry * refreshJitterShare),
    registrationExpiry - minimumJitteredExpires,
  );
  if (spread <= 0) return registrationExpiry;
  return registrationExpiry - (fnv1a(deviceId) % (spread + 1));
}

const defaultPort = (transport: GatewayPbx["transport"]) => (transport === "tls" ? 5061 : 5060);

/** `host`, `host:port`, `[v6]` or `[v6]:port` → its host and port (null when none). */
function splitHostPort(value: string): { host: string; port: number | null } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(value.trim());
  if (!match) return { host: value.trim(), port: null };
  return { host: match[1]!, port: match[2] ? Number(match[2]) : null };
}

/**
 * The SIP URI Kamailio sends a PBX's REGISTERs and calls to. `A`: a fixed port (a URI with a
 * port is resolved by A/AAAA only); `SRV`: no port, the transport given (SRV of that transport);
 * `NAPTR`: no port and no transport (NAPTR chooses, then SRV). A port in the PBX's proxy is kept.
 */
export function pbxProxyUri(pbx: GatewayPbx): string {
  const { host, port } = splitHostPort(pbx.sipProxy ?? pbx.sipDomain);
  const transport = `;transport=${pbx.transport}`;
  if (pbx.dnsLookup === "A") return `sip:${host}:${port ?? defaultPort(pbx.transport)}${transport}`;
  const withPort = port === null ? host : `${host}:${port}`;
  if (pbx.dnsLookup === "SRV") return `sip:${withPort}${transport}`;
  return port === null ? `sip:${host}` : `sip:${withPort}${transport}`;
}

/** `ext@domain` → its user and domain; a bare `ext` takes the PBX's SIP domain. */
function splitAor(sipUser: string, pbx: GatewayPbx): { user: string; domain: string } {
  const at = sipUser.lastIndexOf("@");
  if (at < 0) return { user: sipUser, domain: pbx.sipDomain };
  return { user: sipUser.slice(0, at), domain: sipUser.slice(at + 1) || pbx.sipDomain };
}

/**
 * A user whose device should be registered by whichever node holds its lease: a PBX user with
 * calling enabled and not disabled, with a device, a SIP user and a known PBX, of an enterprise
 * the region serves (a disabled enterprise is absent from the feed: no calls, no registrations).
 */
export function isRegistrable(state: RegionState, user: GatewayUser): boolean {
  return (
    user.service === "pbx" &&
    user.enabled &&
    user.device !== null &&
    Boolean(user.sipUser) &&
    state.pbxes.has(user.pbxId) &&
    state.enterprises.has(user.enterpriseId)
  );
}

/** The device ids of the region that some node should register (what leases are wanted for). */
export function registrableDevices(state: RegionState): string[] {
  const ids: string[] = [];
  for (const user of state.users.values())
    if (isRegistrable(state, user)) ids.push(user.device!.deviceId);
  return ids.sort();
}

/** The registrations this node should hold: registrable devices it holds a lease for, by `l_uuid`. */
export function desiredRegistrations(
  state: RegionState,
  leases: ReadonlySet<string>,
): Registration[] {
  const out: Registration[] = [];
  for (const user of state.users.values()) {
    if (!isRegistrable(state, user)) continue;
    const device = user.device!;
    if (!leases.has(device.deviceId)) continue;
    const pbx = state.pbxes.get(user.pbxId)!;
    const aor = splitAor(user.sipUser!, pbx);
    out.push({
      l_uuid: device.deviceId,
      l_username: device.deviceId,
      r_username: aor.user,
      r_domain: aor.domain,
      auth_username: device.sipAuthId,
      auth_password: device.password,
      auth_proxy: pbxProxyUri(pbx),
      expires: requestedExpires(pbx.registrationExpiry, device.deviceId),
      userId: user.userId,
      enterpriseId: user.enterpriseId,
      pbxId: pbx.pbxId,
    });
  }
  return out.sort((a, b) => (a.l_uuid < b.l_uuid ? -1 : a.l_uuid > b.l_uuid ? 1 : 0));
}

/** A registration as it would look in Kamailio once added. */
export function toActual(registration: Registration): ActualRegistration {
  return {
    l_uuid: registration.l_uuid,
    l_username: registration.l_username,
    r_username: registration.r_username,
    r_domain: registration.r_domain,
    auth_username: registration.auth_username,
    auth_proxy: registration.auth_proxy,
    expires: registration.expires,
    passwordDigest: passwordDigest(registration.auth_password),
  };
}

function sameRegistration(a: ActualRegistration, b: ActualRegistration): boolean {
  return (
    a.l_username === b.l_username &&
    a.r_username === b.r_username &&
    a.r_domain === b.r_domain &&
    a.auth_username === b.auth_username &&
    a.auth_proxy === b.auth_proxy &&
    a.expires === b.expires &&
    a.passwordDigest === b.passwordDigest
  );
}

/** What turns `actual` into `desired`: add the missing, remove the unwanted, replace the changed. */
export function diffRegistrations(
  desired: readonly Registration[],
  actual: readonly ActualRegistration[],
): RegistrationPlan {
  const wanted = new Map(desired.map((r) => [r.l_uuid, r]));
  const held = new Map(actual.map((r) => [r.l_uuid, r]));
  const plan: RegistrationPlan = { add: [], remove: [], update: [] };
  for (const [id, registration] of wanted) {
    const current = held.get(id);
    if (!current) plan.add.push(registration);
    else if (!sameRegistration(current, toActual(registration))) plan.update.push(registration);
  }
  for (const id of held.keys()) if (!wanted.has(id)) plan.remove.push(id);
  const byId = (a: Registration, b: Registration) =>
    a.l_uuid < b.l_uuid ? -1 : a.l_uuid > b.l_uuid ? 1 : 0;
  plan.add.sort(byId);
  plan.update.sort(byId);
  plan.remove.sort();
  return plan;
}

/**
 * The plan that makes Kamailio hold exactly the registrations of the devices this node leases
 * (`leases`: device ids whose lease is held and not about to expire) whose user may register.
 */
export function planRegistrations(
  state: RegionState,
  actual: readonly ActualRegistration[],
  leases: ReadonlySet<string>,
): RegistrationPlan {
  return diffRegistrations(desiredRegistrations(state, leases), actual);
}

/** `actual` after the plan is carried out (what the applier should observe; used by tests). */
export function applyRegistrationPlan(
  actual: readonly ActualRegistration[],
  plan: RegistrationPlan,
): ActualRegistration[] {
  const held = new Map(actual.map((r) => [r.l_uuid, r]));
  for (const id of plan.remove) held.delete(id);
  for (const r of [...plan.update, ...plan.add]) held.set(r.l_uuid, toActual(r));
  return [...held.values()].sort((a, b) =>
    a.l_uuid < b.l_uuid ? -1 : a.l_uuid > b.l_uuid ? 1 : 0,
  );
}
