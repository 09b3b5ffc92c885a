import { createHash } from "node:crypto";
import { AppError } from "../../lib/errors.ts";

/** The longest derived trunk FQDN, `<label>.<carrier trunk FQDN>` (SPEC §2.4). */
export const maxFqdnLength = 48;
/** Characters of the enterprise id's hash that make a label unique. */
const hashLength = 6;
/** At most this much of the enterprise's name goes into the label, for people reading it. */
const maxNameLength = 20;

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

/** `length` base32 characters of the SHA-256 of `text`. */
function hashOf(text: string, length: number): string {
  const bytes = createHash("sha256").update(text).digest();
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[(bytes[i] ?? 0) & 31];
  return out;
}

/** The name in DNS letters: accents dropped, lower case, anything else a single hyphen. */
export function dnsWords(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/**
 * The first label of an enterprise's derived trunk FQDNs: as much of its name as fits, then a
 * hash of its id, so the same enterprise always gets the same label and two enterprises with the
 * same name do not collide. `extra` lengthens the hash (after a collision). Every
 * `<label>.<carrier>` fits in 48 characters; a carrier trunk FQDN too long for that is 409.
 */
export function directRoutingLabel(
  enterprise: { id: string; name: string },
  carrierFqdns: readonly string[],
  extra = 0,
): string {
  const longest = carrierFqdns.reduce((a, b) => (b.length > a.length ? b : a), "");
  const room = maxFqdnLength - 1 - longest.length;
  const hash = hashOf(enterprise.id, hashLength + extra);
  if (room < hash.length)
    throw new AppError(
      "invalid_state",
      `The carrier trunk FQDN ${longest} is too long: a derived trunk FQDN must fit in ${maxFqdnLength} characters`,
    );
  const nameRoom = Math.min(maxNameLength, room - hash.length - 1);
  const words = dnsWords(enterprise.name).slice(0, Math.max(0, nameRoom)).replace(/-+$/, "");
  return words.length >= 2 ? `${words}-${hash}` : hash;
}
