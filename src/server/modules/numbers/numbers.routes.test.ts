import { eq } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  clientOf,
  createTestApp,
  signIn,
  signInEnterpriseAdmin,
  type TestApp,
} from "../../../../test/harness.ts";
import { maxImportBytes } from "../../../shared/contracts/numbers.ts";
import { events, phoneNumbers } from "../../db/schema/index.ts";
import {
  buildEnterprise,
  buildEnterpriseAdmin,
  buildWorld,
  type World,
} from "../../db/seed/factories.ts";
import { buildSyncedUser } from "../calling/calling.factories.ts";
import { buildPhoneNumber } from "./numbers.factories.ts";

let t: TestApp;
let world: World;
/** Enterprise A's admin (signed in with Microsoft): manages its numbers. */
let admin: Client;
/** Enterprise B's admin. */
let adminB: Client;
let resellerA: Client;
let masterA: Client;
let operator: Client;
let resellerB: Client;
let enterpriseId: string;
let base: string;

beforeAll(async () => {
  t = await createTestApp();
  world = await buildWorld(t.services.db);
  enterpriseId = world.a.enterprise.id;
  base = `/api/v1/enterprises/${enterpriseId}/numbers`;
  admin = await signInEnterpriseAdmin(
    t.app,
    t.services,
    (await buildEnterpriseAdmin(t.services.db, world.a.enterprise)).id,
  );
  adminB = await signInEnterpriseAdmin(
    t.app,
    t.services,
    (await buildEnterpriseAdmin(t.services.db, world.b.enterprise)).id,
  );
  resellerA = await signIn(t.app, world.a.resellerAdmin.email);
  masterA = await signIn(t.app, world.a.masterAdmin.email);
  operator = await signIn(t.app, world.operatorAdmin.email);
  resellerB = await signIn(t.app, world.b.resellerAdmin.email);
});
afterAll(() => t.close());

/** Row counts of the numbers and the event log, and a digest of every number. */
async function counts() {
  const { rows } = await t.services.database.execute(
    "select (select count(*)::int from phone_numbers) as numbers, (select count(*)::int from events) as events, (select md5(coalesce(string_agg(p::text, ',' order by p.id), '')) from phone_numbers p) as digest",
  );
  return rows[0];
}

const csv = { "content-type": "text/csv" };
const importCsv = (client: Client, text: string, url = `${base}/import`) =>
  client.request("POST", url, text, csv);

/** The numbers of enterprise A that start with `prefix`. */
async function numbersOf(prefix: string, id = enterpriseId): Promise<string[]> {
  const res = await t.services.db
    .select({ number: phoneNumbers.number })
    .from(phoneNumbers)
    .where(eq(phoneNumbers.enterpriseId, id));
  return res
    .map((r) => r.number)
    .filter((n) => n.startsWith(prefix))
    .sort();
}

describe("the ladder", () => {
  it("list: 401, 400, 404, 200 (read for every tier of the subtree)", async () => {
    expect((await clientOf(t.app).get(base)).status).toBe(401);
    const bad = await admin.get(`${base}?state=lost`);
    expect([bad.status, bad.body.fields]).toEqual([
      400,
      { state: "Must be available or assigned" },
    ]);
    expect((await resellerB.get(base)).status).toBe(404);
    for (const client of [admin, resellerA, masterA, operator])
      expect((await client.get(base)).status).toBe(200);
  });

  it("add: 401, 400, 404, 403 forbidden, 403 consent, 201", async () => {
    const body = { number: "+442079460001" };
    expect((await clientOf(t.app).post(base, body)).status).toBe(401);
    const bad = await admin.post(base, { number: "0207 946 0001" });
    expect([bad.status, bad.body.fields.number]).toEqual([400, expect.stringContaining("E.164")]);
    expect((await resellerB.post(base, body)).status).toBe(404);
    const master = await masterA.post(base, body);
    expect([master.status, master.body.code]).toEqual([403, "forbidden"]);
    for (const provider of [resellerA, operator]) {
      const res = await provider.post(base, body);
      expect([res.status, res.body.code]).toEqual([403, "management_consent_required"]);
    }
    const added = await admin.post(base, body);
    expect([added.status, added.body]).toEqual([
      201,
      { count: 1, first: "+442079460001", last: "+442079460001" },
    ]);
  });

  it("import: 401, 400, 404, 403 forbidden, 403 consent, 201", async () => {
    const body = "number\n+442079460101\n";
    expect((await importCsv(clientOf(t.app), body)).status).toBe(401);
    expect((await importCsv(admin, "phone\n+442079460101\n")).body.fields).toEqual({
      file: "The first line must be the header: number",
    });
    expect((await importCsv(resellerB, body)).status).toBe(404);
    expect((await importCsv(masterA, body)).body.code).toBe("forbidden");
    expect((await importCsv(resellerA, body)).body.code).toBe("management_consent_required");
    const res = await importCsv(admin, body);
    expect([res.status, res.body.count]).toEqual([201, 1]);
  });

  it("remove: 401, 400, 404 (another enterprise's number too), 403, 200", async () => {
    const own = await buildPhoneNumber(t.services.db, { enterpriseId });
    const foreign = await buildPhoneNumber(t.services.db, { enterpriseId: world.b.enterprise.id });
    const url = `${base}/${own.id}`;
    expect((await clientOf(t.app).delete(url)).status).toBe(401);
    expect((await admin.delete(`${base}/${"x".repeat(65)}`)).status).toBe(400);
    for (const wrong of [
      `${base}/${foreign.id}`,
      `/api/v1/enterprises/${world.b.enterprise.id}/numbers/${foreign.id}`,
    ])
      expect((await admin.delete(wrong)).status).toBe(404);
    expect((await resellerB.delete(url)).status).toBe(404);
    expect((await masterA.delete(url)).body.code).toBe("forbidden");
    expect((await resellerA.delete(url)).body.code).toBe("management_consent_required");
    expect((await admin.delete(url)).status).toBe(200);
    expect(await numbersOf(own.number)).toEqual([]);
    expect(await numbersOf(foreign.number, world.b.enterprise.id)).toEqual([foreign.number]);
  });

  it("lets a reseller manage once the enterprise granted management consent", async () => {
    const consenting = await buildEnterprise(t.services.db, {
      reseller: world.a.reseller,
      requestManagementConsent: true,
      managementConsentGrantedAt: new Date(),
    });
    const url = `/api/v1/enterprises/${consenting.id}/numbers`;
    expect((await resellerA.get(url)).body.canManage).toBe(true);
    expect((await resellerA.post(url, { from: "+13125550000", to: "+13125550009" })).status).toBe(
      201,
    );
    const list = await resellerA.get(url);
    expect(list.body.items[0].abilities).toEqual(["number.remove"]);
    expect((await resellerA.delete(`${url}/${list.body.items[0].id}`)).status).toBe(200);
    // Without consent the same reseller sees the list but may change nothing.
    const without = await resellerA.get(base);
    expect(without.body.canManage).toBe(false);
    expect(without.body.items.every((n: { abilities: string[] }) => !n.abilities.length)).toBe(
      true,
    );
  });
});

describe("adding numbers", () => {
  it("accepts separators, stores E.164, records the event with count and bounds", async () => {
    const res = await admin.post(base, { number: " +44 (20) 7946-0201 " });
    expect(res.body).toEqual({ count: 1, first: "+442079460201", last: "+442079460201" });
    const [row] = await t.services.db
      .select()
      .from(phoneNumbers)
      .where(eq(phoneNumbers.number, "+442079460201"));
    expect(row).toMatchObject({ enterpriseId, capability: "voice", state: "available" });
    const [event] = await t.services.db
      .select()
      .from(events)
      .where(eq(events.name, "numbers.added"))
      .orderBy(events.id);
    expect(event).toBeDefined();
  });

  it("adds a range all at once, in order", async () => {
    const res = await admin.post(base, { from: "+442079469990", to: "+442079469999" });
    expect(res.body).toEqual({ count: 10, first: "+442079469990", last: "+442079469999" });
    expect(await numbersOf("+44207946999")).toHaveLength(10);
  });

  it("refuses ranges that are not one run of at most 1,000 numbers, naming the field", async () => {
    const cases: [Record<string, unknown>, Record<string, string>][] = [
      [{ from: "+4420794600", to: "+442079460010" }, { to: "Must have as many digits as From" }],
      [
        { from: "+442079460000", to: "+442079470000" },
        { to: "Must share all but the last 4 digits with From" },
      ],
      [{ from: "+442079460010", to: "+442079460001" }, { to: "Must not come before From" }],
      [
        { from: "+442079460000", to: "+442079461000" },
        { to: "A range holds at most 1,000 numbers" },
      ],
      [{ from: "+442079460000" }, { to: "Required" }],
      [
        { number: "+442079460000", to: "+442079460001" },
        { number: "Give a number or a range, not both" },
      ],
      [{}, { number: "Required" }],
    ];
    for (const [body, fields] of cases) {
      const before = await counts();
      const res = await admin.post(base, body);
      expect([res.status, res.body.fields]).toEqual([400, fields]);
      expect(await counts()).toEqual(before);
    }
    // 1,000 exactly is a range.
    const full = await admin.post(base, { from: "+442079470000", to: "+442079470999" });
    expect([full.status, full.body.count]).toEqual([201, 1000]);
  });

  it("adds nothing of a range when one number is taken, and lists at most ten clashes", async () => {
    await admin.post(base, { from: "+15555550100", to: "+15555550119" });
    const before = await counts();
    const res = await admin.post(base, { from: "+15555550090", to: "+15555550200" });
    expect(res.status).toBe(409);
    expect(res.body.fields.from).toBe(
      "+15555550100, +15555550101, +15555550102, +15555550103, +15555550104, +15555550105, +15555550106, +15555550107, +15555550108, +15555550109 and 10 more are already in use; nothing was added",
    );
    expect(await counts()).toEqual(before);
  });

  it("a number belongs to one enterprise: B cannot add A's and is not told who holds it", async () => {
    await admin.post(base, { number: "+12025550123" });
    const urlB = `/api/v1/enterprises/${world.b.enterprise.id}/numbers`;
    const before = await counts();
    const res = await adminB.post(urlB, { number: "+12025550123" });
    expect([res.status, res.body.fields]).toEqual([
      409,
      { number: "+12025550123 is already in use; nothing was added" },
    ]);
    expect(JSON.stringify(res.body)).not.toContain(enterpriseId);
    expect(JSON.stringify(res.body)).not.toContain(world.a.enterprise.name);
    expect(await counts()).toEqual(before);
    // The same answer when the enterprise already holds it itself.
    expect((await admin.post(base, { number: "+12025550123" })).body).toEqual(res.body);
  });
});

describe("listing", () => {
  it("filters by state and digits, pages in number order", async () => {
    const e = await buildEnterprise(t.services.db, { reseller: world.a.reseller });
    const ea = await signInEnterpriseAdmin(
      t.app,
      t.services,
      (await buildEnterpriseAdmin(t.services.db, e)).id,
    );
    const url = `/api/v1/enterprises/${e.id}/numbers`;
    expect((await ea.get(url)).body).toMatchObject({ items: [], total: 0, canManage: true });
    await ea.post(url, { from: "+16175550000", to: "+16175550004" });
    const someone = await buildSyncedUser(t.services.db, { enterpriseId: e.id });
    await t.services.db
      .update(phoneNumbers)
      .set({ state: "assigned", assignedUserId: someone.id })
      .where(eq(phoneNumbers.number, "+16175550002"));
    const page1 = await ea.get(`${url}?pageSize=2`);
    expect(page1.body.total).toBe(5);
    expect(page1.body.items.map((n: { number: string }) => n.number)).toEqual([
      "+16175550000",
      "+16175550001",
    ]);
    const page3 = await ea.get(`${url}?pageSize=2&page=3`);
    expect(page3.body.items.map((n: { number: string }) => n.number)).toEqual(["+16175550004"]);
    const assigned = await ea.get(`${url}?state=assigned`);
    expect(assigned.body.items).toMatchObject([
      { number: "+16175550002", state: "assigned", assignedUserId: someone.id, abilities: [] },
    ]);
    expect((await ea.get(`${url}?state=available`)).body.total).toBe(4);
    const search = await ea.get(`${url}?q=${encodeURIComponent("555 0003")}`);
    expect(search.body.items.map((n: { number: string }) => n.number)).toEqual(["+16175550003"]);
    expect((await ea.get(`${url}?q=abc`)).body.fields).toEqual({ q: "Search by digits" });
    // An assigned number stays: 409, nothing removed.
    const before = await counts();
    const refused = await ea.delete(`${url}/${assigned.body.items[0].id}`);
    expect([refused.status, refused.body.code]).toEqual([409, "conflict"]);
    expect(await counts()).toEqual(before);
  });
});

describe("CSV import", () => {
  it("reads a BOM, CRLF and quoted fields, then inserts every row", async () => {
    const text =
      '\uFEFFlabel,number\r\nDesk,"+1 646 555 0001"\r\n"Lobby, east",+16465550002\r\n\r\n';
    const res = await importCsv(admin, text);
    expect([res.status, res.body]).toEqual([
      201,
      { count: 2, first: "+16465550001", last: "+16465550002" },
    ]);
    expect(await numbersOf("+1646555000")).toEqual(["+16465550001", "+16465550002"]);
  });

  it("refuses the whole file with a per-row report when any row fails", async () => {
    await admin.post(base, { number: "+16465550100" });
    const before = await counts();
    const text = "number\n+16465550101\nnot-a-number\n+16465550101\n+16465550100\n+16465550102\n";
    const res = await importCsv(admin, text);
    expect(res.status).toBe(400);
    expect(res.body.rows).toEqual([
      { row: 3, number: "not-a-number", problem: "format", message: expect.any(String) },
      { row: 4, number: "+16465550101", problem: "duplicate_in_file", message: expect.any(String) },
      { row: 5, number: "+16465550100", problem: "taken", message: "Already in use" },
    ]);
    expect(res.body.fields.file).toBeDefined();
    expect(await counts()).toEqual(before);
    expect(await numbersOf("+1646555010")).toEqual(["+16465550100"]);
  });

  it("refuses an empty file, an unclosed quote, too many rows, JSON; 413 beyond the size limit", async () => {
    const before = await counts();
    expect((await importCsv(admin, "number\n")).body.fields).toEqual({
      file: "The file holds no numbers",
    });
    expect((await importCsv(admin, 'number\n"+16465550200\n')).body.fields).toEqual({
      file: "Line 2: A quoted field is not closed",
    });
    const rows = Array.from({ length: 10_001 }, (_, i) => `+1777${String(i).padStart(7, "0")}`);
    const many = await importCsv(admin, `number\n${rows.join("\n")}\n`);
    expect([many.status, many.body.fields.file]).toEqual([400, expect.stringContaining("10,000")]);
    const json = await admin.post(`${base}/import`, { number: "+16465550200" });
    expect(json.status).toBe(400);
    const huge = await importCsv(
      admin,
      `number\n${"+16465550200\n".repeat(maxImportBytes / 13 + 10)}`,
    );
    expect([huge.status, huge.body.code]).toEqual([413, "payload_too_large"]);
    expect(await counts()).toEqual(before);
  });

  it("imports 10,000 rows in one go", async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => `+1888${String(i).padStart(7, "0")}`);
    const res = await importCsv(admin, `number\n${rows.join("\n")}`);
    expect([res.status, res.body]).toEqual([
      201,
      { count: 10_000, first: "+18880000000", last: "+18880009999" },
    ]);
  }, 30_000);
});

describe("generated bodies", () => {
  const digits = fc.stringMatching(/^\+?[0-9]{0,17}$/);
  const value = fc.oneof(
    digits,
    fc.string({ maxLength: 20 }),
    fc.constantFrom("+442079460001", "+1", "\u0000", "\ud800", "x".repeat(300), ""),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(digits, { maxLength: 2 }),
  );
  const body = fc.dictionary(fc.constantFrom("number", "from", "to", "other"), value, {
    maxKeys: 3,
  });

  it("add: never a 500; a refused body changes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(body, async (input) => {
        const before = await counts();
        const res = await admin.post(base, input);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) {
          expect(typeof res.body.code).toBe("string");
          expect(await counts()).toEqual(before);
        } else expect(res.status).toBe(201);
      }),
      { numRuns: 80 },
    );
  });

  it("import: never a 500; a refused file changes nothing", async () => {
    const line = fc.oneof(
      digits,
      fc.string({ maxLength: 20 }),
      fc.constantFrom('"', '""', ",", "\r"),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 8 }),
        fc.constantFrom("number", '"number"', "\uFEFFnumber", "nope", ""),
        fc.constantFrom("\n", "\r\n"),
        async (lines, header, eol) => {
          const before = await counts();
          const res = await importCsv(admin, [header, ...lines].join(eol));
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) expect(await counts()).toEqual(before);
          else expect(res.status).toBe(201);
        },
      ),
      { numRuns: 80 },
    );
  });
});
