import { z } from "zod";
import { Id, type Page, PageQuery, text } from "./common.ts";

/** E.164: `+`, a country code that does not start with 0, 8 to 15 digits in all. */
const e164 = /^\+[1-9]\d{7,14}$/;
export const e164Message = "Must be + and 8 to 15 digits (E.164), such as +442079460000";

/** Spaces, dots, dashes and brackets people type inside numbers; dropped before the check. */
const separators = /[\s().-]/g;

/** True when `value` is an E.164 number as stored (no separators). */
export function isE164(value: string): boolean {
  return e164.test(value);
}

/** The stored form of what a person typed: separators dropped; null when it is not E.164. */
export function normalizePhoneNumber(value: string): string | null {
  const compact = value.trim().replace(separators, "");
  return isE164(compact) ? compact : null;
}

/** A phone number in a body: trimmed, separators dropped, then E.164. */
export const PhoneNumber = text()
  .max(40, e164Message)
  .transform((v) => v.trim().replace(separators, ""))
  .pipe(z.string().regex(e164, e164Message));

/** The most numbers one range may hold. */
export const maxRangeSize = 1000;
/** Digits at the end of a number that a range may vary; the rest is the shared prefix. */
export const rangeVaryingDigits = 4;

/**
 * What is wrong with the range `from`–`to` (both E.164), or null with its size: the same length,
 * the same digits but the last four, `from` not after `to`, at most 1,000 numbers.
 */
export function rangeProblem(from: string, to: string): { problem: string } | { size: number } {
  if (from.length !== to.length) return { problem: "Must have as many digits as From" };
  const cut = from.length - rangeVaryingDigits;
  if (from.slice(0, cut) !== to.slice(0, cut))
    return { problem: `Must share all but the last ${rangeVaryingDigits} digits with From` };
  const size = Number(to.slice(cut)) - Number(from.slice(cut)) + 1;
  if (size < 1) return { problem: "Must not come before From" };
  if (size > maxRangeSize)
    return { problem: `A range holds at most ${maxRangeSize.toLocaleString("en")} numbers` };
  return { size };
}

/** The numbers of a valid range, in order (`rangeProblem` returned a size). */
export function expandRange(from: string, to: string): string[] {
  const cut = from.length - rangeVaryingDigits;
  const prefix = from.slice(0, cut);
  const start = Number(from.slice(cut));
  const end = Number(to.slice(cut));
  const out: string[] = [];
  for (let n = start; n <= end; n++) out.push(prefix + String(n).padStart(rangeVaryingDigits, "0"));
  return out;
}

/** "Add numbers": one `number`, or a range `from`–`to`. */
export const AddNumbersBody = z
  .strictObject({
    number: PhoneNumber.optional(),
    from: PhoneNumber.optional(),
    to: PhoneNumber.optional(),
  })
  .superRefine((body, ctx) => {
    const isRange = body.from !== undefined || body.to !== undefined;
    if (body.number !== undefined && isRange) {
      ctx.addIssue({
        code: "custom",
        path: ["number"],
        message: "Give a number or a range, not both",
      });
      return;
    }
    if (body.number !== undefined) return;
    if (!isRange) {
      ctx.addIssue({ code: "custom", path: ["number"], message: "Required" });
      return;
    }
    if (body.from === undefined)
      ctx.addIssue({ code: "custom", path: ["from"], message: "Required" });
    if (body.to === undefined) ctx.addIssue({ code: "custom", path: ["to"], message: "Required" });
    if (body.from === undefined || body.to === undefined) return;
    const range = rangeProblem(body.from, body.to);
    if ("problem" in range) ctx.addIssue({ code: "custom", path: ["to"], message: range.problem });
  });
export type AddNumbersBody = z.infer<typeof AddNumbersBody>;

/** The most rows a CSV import may hold. */
export const maxImportRows = 10_000;
/** The largest CSV body the import accepts (413 beyond). */
export const maxImportBytes = 512 * 1024;

export const phoneNumberStates = ["available", "assigned"] as const;
export const PhoneNumberState = z.enum(phoneNumberStates, {
  error: "Must be available or assigned",
});
export type PhoneNumberState = z.infer<typeof PhoneNumberState>;

export const NumberListQuery = PageQuery.pick({ page: true, pageSize: true }).extend({
  state: PhoneNumberState.optional(),
  /** Digits anywhere in the number (`+`, spaces and dashes ignored). */
  q: text()
    .trim()
    .max(30, "Must be at most 30 characters")
    .regex(/^[+\d\s().-]*$/, "Search by digits")
    .transform((v) => v.replace(/\D/g, ""))
    .optional(),
});
export type NumberListQuery = z.infer<typeof NumberListQuery>;

export const NumberIdParam = { numberId: Id };

export type PhoneNumberAbility = "number.remove";

/** A phone number as the API shows it. */
export interface PhoneNumberView {
  id: string;
  enterpriseId: string;
  number: string;
  capability: "voice";
  state: PhoneNumberState;
  assignedUserId: string | null;
  createdAt: string;
  updatedAt: string;
  abilities: PhoneNumberAbility[];
}

export interface NumberListResponse extends Page<PhoneNumberView> {
  /** May the actor add and import numbers (the role, and management consent for a provider). */
  canManage: boolean;
}

/** What an add or an import did: how many numbers, the first and the last. */
export interface NumbersAdded {
  count: number;
  first: string;
  last: string;
}

/** One refused row of a CSV import: its row number (the header is row 1), what it held, why. */
export interface ImportRowProblem {
  row: number;
  number: string;
  problem: "format" | "duplicate_in_file" | "taken";
  message: string;
}
