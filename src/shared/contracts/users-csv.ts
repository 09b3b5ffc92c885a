import { z } from "zod";
import { CallingService } from "./calling.ts";
import { Id, text } from "./common.ts";

/**
 * The users CSV (SPEC §2.6 bulk upload): one row a user, the same columns for upload and export.
 * PBX users fill the SIP columns; trunk users leave them blank and may list forwarded DIDs
 * (separated by spaces or semicolons). The password is write-only: the export leaves it blank,
 * and an update may too (the stored one is kept).
 */
export const usersCsvColumns = [
  "Teams user",
  "SIP user",
  "Phone number",
  "Use Teams voicemail",
  "SIP auth ID",
  "Password",
  "Forwarded DIDs",
] as const;
export type UsersCsvColumn = (typeof usersCsvColumns)[number];

/** Columns a file must have; the others may be left out. */
export const requiredUsersCsvColumns: readonly UsersCsvColumn[] = ["Teams user", "Phone number"];

/** The most rows one file may hold, and its largest size. */
export const maxUsersCsvRows = 10_000;
export const maxUsersCsvBytes = 20 * 1024 * 1024;

/** What a yes/no cell may say (any case); blank is no. */
const yes = ["yes", "y", "true", "1", "on"];
const no = ["", "no", "n", "false", "0", "off"];

/** "Use Teams voicemail": yes/no, true/false, 1/0, blank (no). */
export const YesNo = text()
  .trim()
  .refine((v) => yes.includes(v.toLowerCase()) || no.includes(v.toLowerCase()), "Must be yes or no")
  .transform((v) => yes.includes(v.toLowerCase()));

/** The options of an upload, in its query string: the service, where the users go, and updates. */
export const UsersImportQuery = z.strictObject({
  service: CallingService.default("pbx"),
  pbxId: Id,
  regionId: Id,
  /** Rows for users already configured replace their configuration; otherwise they are errors. */
  updateExisting: z
    .enum(["true", "false"], { error: "Must be true or false" })
    .default("false")
    .transform((v) => v === "true"),
});
export type UsersImportQuery = z.infer<typeof UsersImportQuery>;

export const UsersExportQuery = z.strictObject({ service: CallingService.default("pbx") });

/** One refused row: its line in the file, the column and the reason. */
export interface UsersCsvProblem {
  row: number;
  column: UsersCsvColumn | null;
  message: string;
}

/** Where an upload stands once validated: applied by a job, its progress in `applied`. */
export interface UsersImportView {
  id: string;
  service: CallingService;
  status: "running" | "succeeded" | "failed";
  total: number;
  applied: number;
  created: number;
  updated: number;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}
