import { z } from "zod";

/**
 * True when a string holds a character no field accepts: a C0 or C1 control character (NUL
 * included), DEL, a lone surrogate, or U+FFFD, which is what invalid or overlong UTF-8 decodes to
 * (so a refused U+FFFD is how bytes that were not UTF-8 get a field error instead of being stored).
 */
export function hasForbiddenCharacters(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0xfffd) return true;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return true;
    }
  }
  return false;
}

export const forbiddenCharactersMessage = "Must not contain control or invalid characters";

/**
 * The string every schema starts from: single-line text without control characters, lone
 * surrogates or U+FFFD (see `hasForbiddenCharacters`). No field of the API is multi-line.
 */
export function text(options: { error?: string } = {}) {
  return z
    .string({ error: options.error ?? "Required" })
    .refine((v) => !hasForbiddenCharacters(v), forbiddenCharactersMessage);
}

/** A record id in a path or a list: clean text of bounded length (its shape is checked by the query). */
export const Id = text().min(1, "Required").max(64, "Must be at most 64 characters");

/** A link token (`?token=…` of activation, invitation and reset links). */
export const LinkToken = text().min(20, "Not a valid link").max(200, "Not a valid link");

/** A trimmed, lower-cased e-mail address (SPEC §2: e-mails are lower-cased, free text trimmed). */
export const Email = text()
  .trim()
  .min(1, "Required")
  .max(254, "Must be at most 254 characters")
  .pipe(z.email({ error: "Must be a valid e-mail address" }))
  .transform((v) => v.toLowerCase());

/** Required free text, trimmed, with length bounds in the message. */
export function requiredText(min: number, max: number) {
  return text()
    .trim()
    .min(1, "Required")
    .min(min, `Must be at least ${min} characters`)
    .max(max, `Must be at most ${max} characters`);
}

/** Optional free text: blank becomes null. */
export function optionalText(max: number) {
  return text()
    .trim()
    .max(max, `Must be at most ${max} characters`)
    .nullish()
    .transform((v) => (v ? v : null));
}

export const Services = z
  .array(z.enum(["PBX", "TRUNK"], { error: "Must be PBX or TRUNK" }), { error: "Required" })
  .min(1, "Select at least one service")
  .transform((v) => [...new Set(v)].sort() as ("PBX" | "TRUNK")[]);
export type Service = "PBX" | "TRUNK";
export const serviceLabels: Record<Service, string> = {
  PBX: "PBX Connector",
  TRUNK: "SIP Trunk",
};

/** A password chosen by a person: long enough to resist guessing, bounded to keep hashing cheap. */
export const NewPassword = text()
  .min(12, "Must be at least 12 characters")
  .max(200, "Must be at most 200 characters");

export const Username = text()
  .trim()
  .min(3, "Must be at least 3 characters")
  .max(64, "Must be at most 64 characters")
  .regex(/^[a-zA-Z0-9._-]+$/, "Use letters, digits, dot, dash or underscore")
  .transform((v) => v.toLowerCase());

/** Query of every paginated list. */
export const PageQuery = z.strictObject({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(25),
  q: text().trim().max(100, "Must be at most 100 characters").optional(),
  status: text().trim().max(20, "Must be at most 20 characters").optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export const IdParam = z.strictObject({ id: Id });

/** A list of record ids in a body. */
export const IdList = z.array(Id).max(200, "Must list at most 200");

/** State of the e-mail an invitation produced, kept on the invitation (job state on the record). */
export const MailState = z.enum(["queued", "sent", "failed"]);
export type MailState = z.infer<typeof MailState>;

export interface InvitationSummary {
  email: string;
  sentAt: string;
  expiresAt: string;
  usedAt: string | null;
  mailState: MailState;
  mailError: string | null;
}
