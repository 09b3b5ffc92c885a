/** Prefixed, URL-safe, random identifiers: the prefix names the entity so a stray id is recognisable in logs. */
export const idPrefixes = {
  account: "acc",
  organization: "org",
  enterprise: "ent",
  region: "reg",
  pbxType: "pbt",
  invitation: "inv",
  audit: "aud",
  passwordReset: "pwr",
  microsoftFlow: "msf",
  enterpriseAdmin: "ead",
  user: "usr",
  userSyncRun: "usy",
  workflowRun: "wfr",
  directRoute: "drt",
  pbx: "pbx",
  phoneNumber: "num",
  device: "dev",
  gatewayNode: "gwn",
  userImport: "uim",
} as const;

export type IdKind = keyof typeof idPrefixes;

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

/** Returns `<prefix>_<20 chars>` (100 bits of randomness, Crockford base32, lower case). */
export function newId(kind: IdKind): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  let out = "";
  for (const b of bytes) out += alphabet[b & 31];
  return `${idPrefixes[kind]}_${out}`;
}

/** `count` ids of one kind from one draw of random bytes (bulk inserts). */
export function newIds(kind: IdKind, count: number): string[] {
  // getRandomValues fills at most 65,536 bytes a call (3,276 ids); larger batches draw in chunks.
  const bytes = new Uint8Array(20 * count);
  for (let at = 0; at < bytes.length; at += 65_536)
    crypto.getRandomValues(bytes.subarray(at, Math.min(at + 65_536, bytes.length)));
  const ids: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    let out = "";
    for (let j = i * 20; j < i * 20 + 20; j++) out += alphabet[(bytes[j] ?? 0) & 31];
    ids[i] = `${idPrefixes[kind]}_${out}`;
  }
  return ids;
}

/** True when the string has the shape of an id of the given kind (checked before any query). */
export function isIdOf(kind: IdKind, value: string): boolean {
  return new RegExp(`^${idPrefixes[kind]}_[0-9a-z]{20}$`).test(value);
}
