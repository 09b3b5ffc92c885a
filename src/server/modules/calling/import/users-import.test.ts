import { stringify } from "csv-stringify/sync";
import { eq } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  createTestApp,
  signInEnterpriseAdmin,
  type TestApp,
} from "../../../../../test/harness.ts";
import { hasForbiddenCharacters } from "../../../../shared/contracts/common.ts";
import { usersCsvColumns } from "../../../../shared/contracts/users-csv.ts";
import { devices, events, userImports } from "../../../db/schema/index.ts";
import { buildEnterpriseAdmin, buildWorld, type World } from "../../../db/seed/factories.ts";
import { unseal } from "../../../lib/secrets.ts";
import { buildPhoneNumber } from "../../numbers/numbers.factories.ts";
import { buildPbx } from "../../pbx/pbx.factories.ts";
import { buildSyncedUser } from "../calling.factories.ts";
import { parseUsersCsv } from "./parse-users-csv.ts";
import { applyUsersImport } from "./run-users-import.ts";

let t: TestApp;
let world: World;
let admin: Client;
let enterpriseId: string;
let regionId: string;
let pbx: { id: string; sipDomain: string };

beforeAll(async () => {
  t = await createTestApp();
  world = await buildWorld(t.services.db);
  enterpriseId = world.a.enterprise.id;
  regionId = world.regions[0]!.id;
  admin = await signInEnterpriseAdmin(
    t.app,
    t.services,
    (await buildEnterpriseAdmin(t.services.db, world.a.enterprise)).id,
  );
  pbx = await buildPbx(t.services.db, { enterpriseId, pbxTypeId: world.pbxTypes[0]!.id });
});
afterAll(() => t.close());

const uploadUrl = (q = "") =>
  `/api/v1/enterprises/${enterpriseId}/user-imports?pbxId=${pbx.id}&regionId=${regionId}${q}`;
const upload = (csv: string, q = "") =>
  admin.request("POST", uploadUrl(q), csv, { "content-type": "text/csv" });

let ext = 5000;
/** `n` synced users with free numbers, as CSV records (header first). */
async function usersFile(n: number) {
  const records: string[][] = [[...usersCsvColumns]];
  for (let i = 0; i < n; i++) {
    const user = await buildSyncedUser(t.services.db, { enterpriseId });
    const number = await buildPhoneNumber(t.services.db, { enterpriseId });
    const e = ext++;
    records.push([
      user.userPrincipalName,
      `${e}@${pbx.sipDomain}`,
      number.number,
      i % 2 ? "yes" : "no",
      `${e}`,
      `pw-${e}`,
      "",
    ]);
  }
  return records;
}

async function state() {
  const { rows } = await t.services.database.execute(
    `select (select count(*)::int from calling_users) as calling, (select count(*)::int from devices) as devices,
            (select count(*)::int from phone_numbers where state = 'assigned') as assigned,
            (select count(*)::int from user_imports) as imports`,
  );
  return rows[0];
}

describe("bulk upload of users", () => {
  it("50 rows with 2 bad ones: a report of exactly those, nothing applied; fixed: applied, and the export matches", async () => {
    const records = await usersFile(50);
    const good = records.map((r) => [...r]);
    records[7]![2] = "not-a-number";
    records[31]![1] = `${records[30]![1]}`; // the SIP user of the row above
    const before = await state();
    const refused = await upload(stringify(records, { record_delimiter: "windows" }));
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/2 problems; nothing was applied/);
    expect(refused.body.rows).toEqual([
      { row: 8, column: "Phone number", message: expect.stringMatching(/E\.164/) },
      { row: 32, column: "SIP user", message: expect.stringMatching(/is already on line 31/) },
    ]);
    expect(await state()).toEqual(before);

    const accepted = await upload(`\ufeff${stringify(good, { record_delimiter: "windows" })}`);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ status: "running", total: 50, applied: 0 });
    await applyUsersImport(t.services, accepted.body.id);
    const progress = await admin.get(
      `/api/v1/enterprises/${enterpriseId}/user-imports/${accepted.body.id}`,
    );
    expect(progress.body).toMatchObject({ status: "succeeded", applied: 50, created: 50 });
    const [stored] = await t.services.db
      .select()
      .from(userImports)
      .where(eq(userImports.id, accepted.body.id));
    expect(stored?.rows).toBeNull();
    const device = await t.services.db
      .select()
      .from(devices)
      .where(eq(devices.sipAuthId, good[1]![4]!));
    expect(unseal(t.services.secret, device[0]!.sipPassword)).toBe(good[1]![5]);
    const configured = await t.services.db
      .select()
      .from(events)
      .where(eq(events.name, "user.calling_configured"));
    expect(configured.length).toBeGreaterThanOrEqual(50);

    const exported = await admin.get(
      `/api/v1/enterprises/${enterpriseId}/users-export?service=pbx`,
    );
    expect(exported.headers["content-type"]).toMatch(/text\/csv/);
    const lines = (exported.body as unknown as string).trim().split("\r\n");
    expect(lines[0]).toBe(usersCsvColumns.join(","));
    const expected = good
      .slice(1)
      .map((r) => [r[0], r[1], r[2], r[3], r[4], "", ""].join(","))
      .sort();
    expect(lines.slice(1).sort()).toEqual(expected);

    // Uploaded again (blank passwords) without "update existing": every row refused.
    const again = await upload(exported.body as unknown as string);
    expect(again.body.rows).toHaveLength(50);
    expect(again.body.rows[0].message).toMatch(/Update existing users/);
    const updated = await upload(exported.body as unknown as string, "&updateExisting=true");
    expect(updated.status).toBe(202);
    await applyUsersImport(t.services, updated.body.id);
    const done = await admin.get(
      `/api/v1/enterprises/${enterpriseId}/user-imports/${updated.body.id}`,
    );
    expect(done.body).toMatchObject({ status: "succeeded", updated: 50, created: 0 });
    // Passwords kept.
    const kept = await t.services.db
      .select()
      .from(devices)
      .where(eq(devices.sipAuthId, good[1]![4]!));
    expect(unseal(t.services.secret, kept[0]!.sipPassword)).toBe(good[1]![5]);
  });

  it("refuses a file over the user limit, unknown columns, a missing column, ragged rows and unknown users", async () => {
    const cases: [string, RegExp][] = [
      ["Teams user,Phone number,Colour\r\na@b.c,+15550000001,red\r\n", /Unknown column "Colour"/],
      ["Teams user,SIP user\r\na@b.c,1@x.example\r\n", /"Phone number" is missing/],
      ['Teams user,Phone number\r\n"a@b.c,+15550000001\r\n', /quoted field is not closed/],
      ["Teams user,Phone number\r\na@b.c,+15550000001,extra\r\n", /as many fields as the header/],
      ["Teams user,Phone number\r\nnobody@contoso.example,+15550000001\r\n", /not a synced user/],
      ["", /empty/],
    ];
    for (const [csv, message] of cases) {
      const res = await upload(csv);
      expect(res.status).toBe(400);
      expect(res.body.rows.map((r: { message: string }) => r.message).join(" | ")).toMatch(message);
    }
    const over = await upload(
      `Teams user,Phone number\r\n${"a@b.c,+15550000001\r\n".repeat(10_001)}`,
    );
    expect(over.body.rows.at(-1).message).toMatch(/more than 10,000/);
  });

  it("answers 413 for a file over 20 MB, and changes nothing", async () => {
    const before = await state();
    const res = await upload("x".repeat(20 * 1024 * 1024 + 1));
    expect(res.status).toBe(413);
    expect(await state()).toEqual(before);
  });
});

describe("the users CSV parser", () => {
  it("reads back any cell a spreadsheet writes: quotes, commas, line breaks, non-ASCII, BOM, CRLF", async () => {
    const cell = fc.string({ unit: "grapheme", maxLength: 30 });
    const sipUser = fc.oneof(cell, fc.constant("201@pbx.example.com"));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(cell, sipUser), { minLength: 1, maxLength: 5 }),
        async (pairs) => {
          const csv = `\ufeff${stringify(
            [
              ["Teams user", "SIP user", "Phone number"],
              ...pairs.map(([a, b]) => [a, b, "+15550001234"]),
            ],
            { record_delimiter: "windows" },
          )}`;
          const { rows, problems } = await parseUsersCsv(csv, {
            service: "pbx",
            pbxId: "p",
            regionId: "r",
          });
          // A character no field accepts refuses the whole file, saying why, at its first line.
          if (
            pairs.some((pair) => hasForbiddenCharacters(pair.join("").replace(/[\r\n\t]/g, "")))
          ) {
            expect(rows).toEqual([]);
            expect(problems).toEqual([
              { row: 1, column: null, message: expect.stringMatching(/not UTF-8 text/) },
            ]);
            return;
          }
          // A well-formed file: every problem names a row after the header and its column ...
          for (const p of problems) {
            expect(p.row).toBeGreaterThan(1);
            expect(p.column).not.toBeNull();
          }
          // ... and each record is either read, with its sign-in name as written (trimmed), or
          // reported, in file order, once.
          const records = [
            ...rows.map((r) => ({ line: r.line, upn: r.userPrincipalName as string | null })),
            ...[...new Set(problems.map((p) => p.row))].map((line) => ({ line, upn: null })),
          ].sort((x, y) => x.line - y.line);
          expect(records).toHaveLength(pairs.length);
          records.forEach((record, i) => {
            if (record.upn !== null) expect(record.upn).toBe(pairs[i]![0].trim());
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it("keeps a name with a comma and accents in quotes intact", async () => {
    const csv =
      'Teams user,SIP user,Phone number\r\n"zoë.ånström@contoso.example","201@pbx.example.com",+15550001234\r\n';
    const { rows, problems } = await parseUsersCsv(csv, {
      service: "pbx",
      pbxId: "p",
      regionId: "r",
    });
    expect(problems).toEqual([]);
    expect(rows[0]).toMatchObject({ line: 2, userPrincipalName: "zoë.ånström@contoso.example" });
  });
});
