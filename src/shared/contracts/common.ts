import { z } from "zod";

/** A trimmed, lower-cased e-mail address (SPEC §2: e-mails are lower-cased, free text trimmed). */
export const Email = z
  .string({ error: "Required" })
  .trim()
  .min(1, "Required")
  .max(254, "Must be at most 254 characters")
  .pipe(z.email({ error: "Must be a valid e-mail address" }))
  .transform((v) => v.toLowerCase());

/** Required free text, trimmed, with length bounds in the message. */
export function requiredText(min: number, max: number) {
  return z
    .string({ error: "Required" })
    .trim()
    .min(1, "Required")
    .min(min, `Must be at least ${min} characters`)
    .max(max, `Must be at most ${max} characters`);
}

/** Optional free text: blank becomes null. */
export function optionalText(max: number) {
  return z
    .string()
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
export const NewPassword = z
  .string({ error: "Required" })
  .min(12, "Must be at least 12 characters")
  .max(200, "Must be at most 200 characters");

export const Username = z
  .string({ error: "Required" })
  .trim()
  .min(3, "Must be at least 3 characters")
  .max(64, "Must be at most 64 characters")
  .regex(/^[a-zA-Z0-9._-]+$/, "Use letters, digits, dot, dash or underscore")
  .transform((v) => v.toLowerCase());

/** Query of every paginated list. */
export const PageQuery = z.strictObject({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(25),
  q: z.string().trim().max(100).optional(),
  status: z.string().trim().max(20).optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export const IdParam = z.strictObject({ id: z.string().min(1).max(64) });

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
