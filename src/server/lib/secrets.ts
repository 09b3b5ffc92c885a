import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  randomInt,
  timingSafeEqual,
} from "node:crypto";

/** SHA-256 hex of a high-entropy token (session cookies, invitation links, reset links). */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A URL-safe random token with `bytes` of entropy (default 32 = 256 bits). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

const codeAlphabet = "ABCDEFGHJKMNPQRSTVWXYZ23456789"; // no 0/O, 1/I/L, U

/** A short code a person can type from an e-mail: `XXXX-XXXX` (≈ 39 bits). */
export function humanCode(): string {
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === 4) out += "-";
    out += codeAlphabet[randomInt(codeAlphabet.length)];
  }
  return out;
}

/** Canonical form of a typed code: upper case, no spaces or dashes. */
export function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, "");
}

/**
 * Keyed hash of a short code. The key (from APP_SECRET) keeps a stolen database from being
 * enough to brute-force the 39-bit codes offline.
 */
export function hashCode(secret: string, code: string): string {
  return createHmac("sha256", secret).update(normalizeCode(code)).digest("hex");
}

export function equalHashes(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

function keyOf(secret: string): Buffer {
  return createHash("sha256").update(`teamgate-seal:${secret}`).digest();
}

/** Encrypts a value (AES-256-GCM) for storage at rest, e.g. in a job payload. */
export function seal(secret: string, value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyOf(secret), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
  return [
    "v1",
    iv.toString("base64url"),
    cipher.getAuthTag().toString("base64url"),
    body.toString("base64url"),
  ].join(".");
}

/** Decrypts what `seal` produced; throws when tampered with or sealed under another secret. */
export function unseal<T>(secret: string, sealed: string): T {
  const [version, iv, tag, body] = sealed.split(".");
  if (version !== "v1" || !iv || !tag || !body) throw new Error("Unknown sealed format");
  const decipher = createDecipheriv("aes-256-gcm", keyOf(secret), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  const plain = Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]);
  return JSON.parse(plain.toString("utf8")) as T;
}
