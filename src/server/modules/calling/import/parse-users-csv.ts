import { Readable } from "node:stream";
import { parse } from "csv-parse";
import type { z } from "zod";
import { ConfigureUserBody } from "../../../../shared/contracts/calling.ts";
import { hasForbiddenCharacters, text } from "../../../../shared/contracts/common.ts";
import {
  maxUsersCsvRows,
  requiredUsersCsvColumns,
  type UsersCsvColumn,
  type UsersCsvProblem,
  type UsersImportQuery,
  usersCsvColumns,
  YesNo,
} from "../../../../shared/contracts/users-csv.ts";

/** A row that passed the row schema: the Teams user's sign-in name and the configuration. */
export interface ParsedUserRow {
  line: number;
  userPrincipalName: string;
  input: ConfigureUserBody;
}

/** Which column of the file each field of the configuration comes from. */
export const columnOfField: Record<string, UsersCsvColumn> = {
  userId: "Teams user",
  sipUser: "SIP user",
  phoneNumber: "Phone number",
  teamsVoicemail: "Use Teams voicemail",
  sipAuthId: "SIP auth ID",
  sipPassword: "Password",
  forwardedDids: "Forwarded DIDs",
};

const Upn = text()
  .trim()
  .min(1, "Required: the user's sign-in name, such as ann@contoso.com")
  .max(254, "Must be at most 254 characters");

/** The problems of a row as the row schema sees them, by column. */
function rowProblems(line: number, issues: z.core.$ZodIssue[]): UsersCsvProblem[] {
  return issues.map((issue) => {
    const field = String(issue.path[0] ?? "");
    return { row: line, column: columnOfField[field] ?? null, message: issue.message };
  });
}

/** A cell left blank is absent. */
const cell = (value: string | undefined) =>
  value === undefined || value.trim() === "" ? undefined : value;

/**
 * Reads a users CSV as it streams through a real CSV parser (quoted fields, doubled quotes, line
 * breaks inside quotes, CRLF or LF, a UTF-8 BOM), maps the header to the known columns (any
 * case and order), and checks every row against the row schema. Returns the rows, or every
 * problem found (by line and column): a file with one problem is applied in no part.
 */
export async function parseUsersCsv(
  decoded: string,
  options: Pick<UsersImportQuery, "service" | "pbxId" | "regionId">,
): Promise<{ rows: ParsedUserRow[]; problems: UsersCsvProblem[] }> {
  const problems: UsersCsvProblem[] = [];
  const rows: ParsedUserRow[] = [];
  if (hasForbiddenCharacters(decoded.replace(/[\r\n\t]/g, "")))
    return {
      rows,
      problems: [
        {
          row: 1,
          column: null,
          message:
            "The file is not UTF-8 text or holds control characters: save it as CSV UTF-8 and upload again",
        },
      ],
    };
  const parser = Readable.from([decoded]).pipe(
    parse({ bom: true, skip_empty_lines: true, relax_column_count: false, info: true }),
  );
  let columns: (UsersCsvColumn | null)[] | null = null;
  let count = 0;
  try {
    for await (const record of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      const line = record.info.lines;
      if (!columns) {
        columns = record.record.map((name) => {
          const known = usersCsvColumns.find((c) => c.toLowerCase() === name.trim().toLowerCase());
          if (!known)
            problems.push({
              row: line,
              column: null,
              message: `Unknown column "${name.trim()}": the columns are ${usersCsvColumns.join(", ")}`,
            });
          return known ?? null;
        });
        for (const required of requiredUsersCsvColumns)
          if (!columns.includes(required))
            problems.push({
              row: line,
              column: required,
              message: `The column "${required}" is missing`,
            });
        if (problems.length > 0) return { rows: [], problems };
        continue;
      }
      if (++count > maxUsersCsvRows) {
        problems.push({
          row: line,
          column: null,
          message: `The file has more than ${maxUsersCsvRows.toLocaleString("en")} users: split it`,
        });
        break;
      }
      const value = (column: UsersCsvColumn) => {
        const at = columns!.indexOf(column);
        return at === -1 ? undefined : record.record[at];
      };
      const upn = Upn.safeParse(value("Teams user") ?? "");
      if (!upn.success)
        problems.push(
          ...rowProblems(line, upn.error.issues).map((p) => ({
            ...p,
            column: "Teams user" as const,
          })),
        );
      const voicemail = YesNo.safeParse(value("Use Teams voicemail") ?? "");
      if (!voicemail.success)
        problems.push({ row: line, column: "Use Teams voicemail", message: "Must be yes or no" });
      const dids = cell(value("Forwarded DIDs"));
      const input = ConfigureUserBody.safeParse({
        service: options.service,
        pbxId: options.pbxId,
        regionId: options.regionId,
        sipUser: cell(value("SIP user")) ?? null,
        phoneNumber: value("Phone number") ?? "",
        forwardedDids: dids ? dids.split(/[\s;]+/).filter(Boolean) : [],
        teamsVoicemail: voicemail.success ? voicemail.data : false,
        sipAuthId: cell(value("SIP auth ID")) ?? null,
        sipPassword: cell(value("Password")),
      });
      if (!input.success) problems.push(...rowProblems(line, input.error.issues));
      if (upn.success && input.success && voicemail.success)
        rows.push({ line, userPrincipalName: upn.data, input: input.data });
    }
  } catch (error) {
    const { lines, message } = error as { lines?: number; message?: string; code?: string };
    problems.push({
      row: lines ?? count + 1,
      column: null,
      message: /quote/i.test(message ?? "")
        ? "A quoted field is not closed, or text follows a closing quote"
        : /record length|column/i.test(message ?? "")
          ? "This row does not have as many fields as the header"
          : "The file is not a valid CSV file",
    });
  }
  if (!columns)
    problems.push({
      row: 1,
      column: null,
      message: "The file is empty: it needs a header row and one row per user",
    });
  return { rows, problems };
}
