import { Writable } from "node:stream";
import { and, eq } from "drizzle-orm";
import fc from "fast-check";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  clientOf,
  closeTestServices,
  createTestApp,
  createTestServices,
  signIn,
  signInEnterpriseAdmin,
  type TestApp,
  type TestServices,
} from "../../../../test/harness.ts";
import { events, pbxes } from "../../db/schema/index.ts";
import {
  buildEnterprise,
  buildEnterpriseAdmin,
  buildPbxType,
  buildWorld,
  type World,
} from "../../db/seed/factories.ts";
import { buildApp } from "../../http/app.ts";
import { unseal } from "../../lib/secrets.ts";
import { buildAssignedPbxType, buildPbx } from "./pbx.factories.ts";

const secret = "s3cr3t-value-that-must-never-leak";

let t: TestApp;
let world: World;
/** Enterprise A's admin (signed in with Microsoft): manages its PBX locations. */
let admin: Client;
let resellerA: Client;
let masterA: Client;
let operator: Client;
let resellerB: Client;
/** Types of enterprise A: one with an API (defaults SRV, TLS, *97), one without (world.pbxTypes[0]). */
let apiType: { id: string; label: string };
let plainTypeId: string;
let disabledTypeId: string;
let enterpriseId: string;
let base: string;

beforeAll(async () => {
  t = await createTestApp();
  world = await buildWorld(t.services.db);
  enterpriseId = world.a.enterprise.id;
  base = `/api/v1/enterprises/${enterpriseId}/pbxes`;
  admin = await signInEnterpriseAdmin(
    t.app,
    t.services,
    (await buildEnterpriseAdmin(t.services.db, world.a.enterprise)).id,
  );
  resellerA = await signIn(t.app, world.a.resellerAdmin.email);
  masterA = await signIn(t.app, world.a.masterAdmin.email);
  operator = await signIn(t.app, world.operatorAdmin.email);
  resellerB = await signIn(t.app, world.b.resellerAdmin.email);
  apiType = await buildAssignedPbxType(t.services.db, enterpriseId, {
    label: "Netsapiens",
    defaultDnsLookup: "SRV",
    defaultTransport: "tls",
    defaultVoicemailFeatureCode: "*97",
  });
  plainTypeId = world.pbxTypes[0]!.id;
  disabledTypeId = (
    await buildAssignedPbxType(t.services.db, enterpriseId, { isDisabled: true, hasApi: false })
  ).id;
});
afterAll(() => t.close());

/** A valid body for a type without an API. */
const plainBody = (overrides: Record<string, unknown> = {}) => ({
  pbxTypeId: plainTypeId,
  locationName: `Site ${Math.random().toString(36).slice(2, 8)}`,
  sipDomain: "pbx.example.com",
  ...overrides,
});

/** Row counts of the locations and the event log, and a digest of every location. */
async function counts() {
  const { rows } = await t.services.database.execute(
    "select (select count(*)::int from pbxes) as pbxes, (select count(*)::int from events) as events, (select md5(coalesce(string_agg(p::text, ',' order by p.id), '')) from pbxes p) as digest",
  );
  return rows[0];
}

describe("the ladder", () => {
  it("list: 401, 400, 404, 200 (read for every tier of the subtree)", async () => {
    expect((await clientOf(t.app).get(base)).status).toBe(401);
    expect((await admin.get(`${base}?pageSize=0`)).body.fields.pageSize).toBeDefined();
    expect((await resellerB.get(base)).status).toBe(404);
    for (const client of [admin, resellerA, masterA, operator])
      expect((await client.get(base)).status).toBe(200);
  });

  it("create: 401, 400, 404, 403 forbidden, 403 consent, 201", async () => {
    const body = plainBody();
    expect((await clientOf(t.app).post(base, body)).status).toBe(401);
    const bad = await admin.post(base, { ...body, sipDomain: "" });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual({ sipDomain: "Required" });
    expect((await resellerB.post(base, body)).status).toBe(404);
    const master = await masterA.post(base, body);
    expect([master.status, master.body.code]).toEqual([403, "forbidden"]);
    for (const provider of [resellerA, operator]) {
      const res = await provider.post(base, body);
      expect([res.status, res.body.code]).toEqual([403, "management_consent_required"]);
    }
    const created = await admin.post(base, body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ locationName: body.locationName, enterpriseId });
  });

  it("get, edit, delete: 401, 400, 404 (another enterprise's location too), 403, 2xx", async () => {
    const own = await buildPbx(t.services.db, { enterpriseId, pbxTypeId: plainTypeId });
    const foreign = await buildPbx(t.services.db, {
      enterpriseId: world.b.enterprise.id,
      pbxTypeId: plainTypeId,
    });
    const url = `${base}/${own.id}`;
    expect((await clientOf(t.app).get(url)).status).toBe(401);
    expect((await clientOf(t.app).patch(url, { locationName: "X y" })).status).toBe(401);
    expect((await clientOf(t.app).delete(url)).status).toBe(401);
    expect((await admin.patch(url, { registrationExpiry: 5 })).status).toBe(400);
    // B's location under A's enterprise, and B's enterprise itself: both absent for A.
    for (const wrong of [
      `${base}/${foreign.id}`,
      `/api/v1/enterprises/${world.b.enterprise.id}/pbxes/${foreign.id}`,
    ]) {
      expect((await admin.get(wrong)).status).toBe(404);
      expect((await admin.patch(wrong, { locationName: "Stolen" })).status).toBe(404);
      expect((await admin.delete(wrong)).status).toBe(404);
    }
    expect((await resellerB.get(url)).status).toBe(404);
    expect((await masterA.patch(url, { locationName: "Nope" })).body.code).toBe("forbidden");
    expect((await masterA.delete(url)).body.code).toBe("forbidden");
    expect((await resellerA.patch(url, { locationName: "Nope" })).body.code).toBe(
      "management_consent_required",
    );
    expect((await resellerA.delete(url)).body.code).toBe("management_consent_required");
    expect((await masterA.get(url)).status).toBe(200);
    const edited = await admin.patch(url, { locationName: "Edited site" });
    expect([edited.status, edited.body.locationName]).toEqual([200, "Edited site"]);
    const deleted = await admin.delete(url);
    expect(deleted.status).toBe(200);
    expect((await admin.get(url)).status).toBe(404);
    expect((await admin.delete(url)).status).toBe(404);
    // B's location is untouched.
    const [still] = await t.services.db.select().from(pbxes).where(eq(pbxes.id, foreign.id));
    expect(still?.locationName).toBe(foreign.locationName);
  });

  it("lets a reseller manage once the enterprise granted management consent", async () => {
    const consenting = await buildEnterprise(t.services.db, {
      reseller: world.a.reseller,
      requestManagementConsent: true,
      managementConsentGrantedAt: new Date(),
      pbxTypeIds: [plainTypeId],
    });
    const url = `/api/v1/enterprises/${consenting.id}/pbxes`;
    const list = await resellerA.get(url);
    expect(list.body.canCreate).toBe(true);
    const created = await resellerA.post(url, plainBody());
    expect(created.status).toBe(201);
    expect(created.body.abilities).toEqual(["pbx.update", "pbx.delete"]);
    expect((await resellerA.delete(`${url}/${created.body.id}`)).status).toBe(200);
    // Without consent the same reseller sees the list but no add button and no row actions.
    const withoutConsent = await resellerA.get(base);
    expect(withoutConsent.body.canCreate).toBe(false);
    expect(
      withoutConsent.body.items.every((p: { abilities: string[] }) => !p.abilities.length),
    ).toBe(true);
  });
});

describe("adding a location", () => {
  it("fills the type's defaults and keeps what the body says", async () => {
    const res = await admin.post(base, {
      pbxTypeId: apiType.id,
      locationName: "Headquarters",
      sipDomain: "HQ.PBX.example.com",
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      pbxTypeName: "Netsapiens",
      pbxTypeHasApi: true,
      dnsLookup: "SRV",
      transport: "tls",
      voicemailFeatureCode: "*97",
      sipDomain: "hq.pbx.example.com",
      sipProxy: null,
      registrationExpiry: 3600,
      codecs: ["PCMU", "PCMA"],
      dtmfMode: "rfc2833",
      callerNamePolicy: "TRANSPARENT",
      forwardedCallerId: "USER_CALLER_ID",
      hasApiClientSecret: false,
    });
    const explicit = await admin.post(base, {
      pbxTypeId: apiType.id,
      locationName: "Branch explicit",
      sipDomain: "branch.example.com",
      dnsLookup: "A",
      transport: "udp",
      voicemailFeatureCode: null,
      sipProxy: "[2001:db8::1]:5070",
      codecs: ["opus", "G722", "PCMU"],
      dtmfMode: "info",
      registrationExpiry: 600,
      callerNamePolicy: "OTHER",
      callerName: "Acme Reception",
      forwardedCallerId: "TRANSPARENT",
    });
    expect(explicit.status).toBe(201);
    expect(explicit.body).toMatchObject({
      dnsLookup: "A",
      transport: "udp",
      voicemailFeatureCode: null,
      sipProxy: "[2001:db8::1]:5070",
      codecs: ["opus", "G722", "PCMU"],
      callerName: "Acme Reception",
    });
  });

  it("accepts only an assigned, enabled type", async () => {
    const unassigned = await buildPbxType(t.services.db);
    for (const pbxTypeId of [unassigned.id, disabledTypeId, world.pbxTypes[1]!.id, "pbt_nope"]) {
      const before = await counts();
      const res = await admin.post(base, plainBody({ pbxTypeId }));
      expect(res.status).toBe(400);
      expect(res.body.fields.pbxTypeId).toMatch(/Not a PBX type of this enterprise/);
      expect(await counts()).toEqual(before);
    }
    const list = await admin.get(base);
    expect(list.body.pbxTypes.map((p: { id: string }) => p.id).sort()).toEqual(
      [apiType.id, plainTypeId].sort(),
    );
  });

  const invalid: [string, unknown, RegExp][] = [
    ["locationName", "", /Required/],
    ["locationName", "x", /at least 2/],
    ["locationName", "x".repeat(101), /at most 100/],
    ["sipDomain", "sip:pbx.example.com", /without sip:/],
    ["sipDomain", "https://pbx.example.com", /without sip:/],
    ["sipDomain", "pbx.example.com:5060", /without a port/],
    ["sipDomain", "192.0.2.1", /not an IP address/],
    ["sipDomain", "pbx", /DNS name/],
    ["sipDomain", "pbx..example.com", /DNS name/],
    ["sipDomain", "-pbx.example.com", /DNS name/],
    ["sipProxy", "proxy.example.com:0", /1 to 65535/],
    ["sipProxy", "proxy.example.com:65536", /1 to 65535/],
    ["sipProxy", "proxy.example.com:abc", /1 to 65535/],
    ["sipProxy", "2001:db8::1", /brackets/],
    ["sipProxy", "[not-ipv6]:5060", /IPv6 address/],
    ["sipProxy", "sip:proxy.example.com", /without sip:/],
    ["sipProxy", "proxy_host!", /host name/],
    ["dnsLookup", "AAAA", /A, SRV or NAPTR/],
    ["transport", "sctp", /udp, tcp or tls/],
    ["registrationExpiry", 59, /60 to 86400/],
    ["registrationExpiry", 86_401, /60 to 86400/],
    ["registrationExpiry", 600.5, /60 to 86400/],
    ["registrationExpiry", "600", /60 to 86400/],
    ["codecs", [], /at least one codec/],
    ["codecs", ["PCMU", "PCMU"], /each codec once/],
    ["codecs.1", ["PCMU", "AMR"], /Must be one of/],
    ["dtmfMode", "sipinfo", /rfc2833, info or inband/],
    ["voicemailFeatureCode", "97", /\* or # followed by digits/],
    ["voicemailFeatureCode", "*9a", /\* or # followed by digits/],
    ["callerNamePolicy", "HIDDEN", /TRANSPARENT or OTHER/],
    ["forwardedCallerId", "ORIGINAL", /USER_CALLER_ID or TRANSPARENT/],
    ["apiTokenUrl", "http://pbx.example.com/token", /https:\/\//],
    ["apiTokenUrl", "not a url", /https:\/\//],
    ["apiClientSecret", "", /Enter the secret/],
    ["extra", 1, /Unknown field/],
  ];
  it.each(invalid)(
    "refuses %s = %j with a field error and writes nothing",
    async (field, value, message) => {
      const before = await counts();
      const key = field.split(".")[0]!;
      const res = await admin.post(base, plainBody({ pbxTypeId: apiType.id, [key]: value }));
      expect(res.status).toBe(400);
      expect(res.body.code).toBe("validation_failed");
      expect(res.body.fields[field]).toMatch(message);
      expect(await counts()).toEqual(before);
    },
  );

  it("accepts the proxy forms: name, name:port, IPv4, IPv4:port, [IPv6]:port", async () => {
    for (const sipProxy of [
      "proxy.example.com",
      "proxy.example.com:5080",
      "192.0.2.10",
      "192.0.2.10:5060",
      "[2001:db8::10]",
    ]) {
      const res = await admin.post(base, plainBody({ sipProxy, dnsLookup: "A" }));
      expect([res.status, res.body.sipProxy]).toEqual([201, sipProxy]);
    }
  });

  it("refuses a proxy port with SRV or NAPTR, and takes it without", async () => {
    for (const dnsLookup of ["SRV", "NAPTR"]) {
      const res = await admin.post(
        base,
        plainBody({ dnsLookup, sipProxy: "proxy.example.com:5060" }),
      );
      expect(res.status).toBe(400);
      expect(res.body.fields.sipProxy).toMatch(new RegExp(`With ${dnsLookup} lookup`));
      const ok = await admin.post(base, plainBody({ dnsLookup, sipProxy: "proxy.example.com" }));
      expect(ok.status).toBe(201);
    }
  });

  it("needs a caller name with OTHER, and none with TRANSPARENT", async () => {
    const missing = await admin.post(base, plainBody({ callerNamePolicy: "OTHER" }));
    expect(missing.body.fields).toEqual({ callerName: "Required when the caller name is Other" });
    const stray = await admin.post(base, plainBody({ callerName: "Acme" }));
    expect(stray.body.fields.callerName).toMatch(/Only with the caller name Other/);
  });

  it("refuses API settings for a type without an API, naming each field", async () => {
    const before = await counts();
    const res = await admin.post(
      base,
      plainBody({
        apiTokenUrl: "https://pbx.example.com/token",
        apiClientId: "client",
        apiClientSecret: secret,
        apiMasqueradingLogin: "admin@pbx",
      }),
    );
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.fields).sort()).toEqual([
      "apiClientId",
      "apiClientSecret",
      "apiMasqueradingLogin",
      "apiTokenUrl",
    ]);
    expect(await counts()).toEqual(before);
  });

  it("keeps location names unique in the enterprise whatever the case, not across enterprises", async () => {
    const first = await admin.post(base, plainBody({ locationName: "Main Office" }));
    expect(first.status).toBe(201);
    const before = await counts();
    const dup = await admin.post(base, plainBody({ locationName: "  MAIN office " }));
    expect(dup.status).toBe(409);
    expect(dup.body.fields).toEqual({
      locationName: "Another PBX location of this enterprise has this name",
    });
    expect(await counts()).toEqual(before);
    const other = await admin.post(base, plainBody({ locationName: "Second Office" }));
    const rename = await admin.patch(`${base}/${other.body.id}`, { locationName: "main OFFICE" });
    expect(rename.status).toBe(409);
    expect(rename.body.fields.locationName).toBeDefined();
    // Its own name in another case is fine.
    const recase = await admin.patch(`${base}/${first.body.id}`, { locationName: "MAIN OFFICE" });
    expect([recase.status, recase.body.locationName]).toEqual([200, "MAIN OFFICE"]);
    const elsewhere = await buildPbx(t.services.db, {
      enterpriseId: world.b.enterprise.id,
      pbxTypeId: plainTypeId,
      locationName: "Elsewhere",
    });
    expect((await admin.post(base, plainBody({ locationName: "elsewhere" }))).status).toBe(201);
    void elsewhere;
  });
});

describe("the API client secret", () => {
  it("is sealed at rest, write-only, and kept, replaced or cleared as asked", async () => {
    const created = await admin.post(base, {
      pbxTypeId: apiType.id,
      locationName: "API site",
      sipDomain: "api.example.com",
      apiTokenUrl: "https://api.example.com/oauth/token",
      apiClientId: "teamgate",
      apiClientSecret: secret,
      apiMasqueradingLogin: "admin@api.example.com",
    });
    expect(created.status).toBe(201);
    expect(created.body.hasApiClientSecret).toBe(true);
    const url = `${base}/${created.body.id}`;
    const stored = async () =>
      (await t.services.db.select().from(pbxes).where(eq(pbxes.id, created.body.id)))[0]!
        .apiClientSecret;
    const sealed = await stored();
    expect(sealed).not.toContain(secret);
    expect(unseal(t.services.secret, sealed!)).toBe(secret);

    const kept = await admin.patch(url, { apiClientId: "teamgate-2" });
    expect(kept.body.hasApiClientSecret).toBe(true);
    expect(await stored()).toBe(sealed);

    const replaced = await admin.patch(url, { apiClientSecret: `${secret}-2` });
    expect(replaced.body.hasApiClientSecret).toBe(true);
    expect(unseal(t.services.secret, (await stored())!)).toBe(`${secret}-2`);

    const cleared = await admin.patch(url, { apiClientSecret: null });
    expect(cleared.body.hasApiClientSecret).toBe(false);
    expect(await stored()).toBeNull();

    const texts = [created, kept, replaced, cleared, await admin.get(url), await admin.get(base)]
      .map((r) => JSON.stringify(r.body))
      .join("\n");
    expect(texts).not.toContain(secret);
    const log = await t.services.db
      .select({ name: events.name, payload: events.payload })
      .from(events)
      .where(and(eq(events.subjectType, "pbx"), eq(events.subjectId, created.body.id)));
    expect(log.map((e) => e.name)).toEqual([
      "pbx.created",
      "pbx.updated",
      "pbx.updated",
      "pbx.updated",
    ]);
    expect(JSON.stringify(log)).not.toContain(secret);
    expect(JSON.stringify(log)).not.toContain(sealed!);
    expect(log[2]!.payload).toMatchObject({ after: { apiClientSecretReplaced: true } });
    expect(log[3]!.payload).toEqual({
      before: { hasApiClientSecret: true },
      after: { hasApiClientSecret: false },
    });
  });

  it("never reaches the logs, even at trace level", async () => {
    const lines: string[] = [];
    const services: TestServices = await createTestServices({ LOG_LEVEL: "trace" });
    services.log = pino(
      { level: "trace" },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    let app: FastifyInstance | undefined;
    try {
      app = await buildApp(services);
      await app.ready();
      const w = await buildWorld(services.db);
      const type = await buildAssignedPbxType(services.db, w.a.enterprise.id);
      const ea = await signInEnterpriseAdmin(
        app,
        services,
        (await buildEnterpriseAdmin(services.db, w.a.enterprise)).id,
      );
      const url = `/api/v1/enterprises/${w.a.enterprise.id}/pbxes`;
      const res = await ea.post(url, {
        pbxTypeId: type.id,
        locationName: "Logged site",
        sipDomain: "log.example.com",
        apiClientSecret: secret,
      });
      expect(res.status).toBe(201);
      // A refused body that carries the secret too.
      expect((await ea.post(url, { apiClientSecret: secret })).status).toBe(400);
      await ea.patch(`${url}/${res.body.id}`, { apiClientSecret: secret, registrationExpiry: 1 });
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.join("")).not.toContain(secret);
    } finally {
      await app?.close();
      await closeTestServices(services);
    }
  });
});

describe("editing and deleting", () => {
  it("changes only the fields given and records them before and after", async () => {
    const created = await admin.post(
      base,
      plainBody({ locationName: "Partial", transport: "tcp" }),
    );
    const url = `${base}/${created.body.id}`;
    const res = await admin.patch(url, { codecs: ["G729"], registrationExpiry: 120 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      ...created.body,
      codecs: ["G729"],
      registrationExpiry: 120,
      updatedAt: expect.any(String),
    });
    const [updated] = await t.services.db
      .select({ payload: events.payload })
      .from(events)
      .where(and(eq(events.name, "pbx.updated"), eq(events.subjectId, created.body.id)));
    expect(updated?.payload).toEqual({
      before: { codecs: ["PCMU", "PCMA"], registrationExpiry: 3600 },
      after: { codecs: ["G729"], registrationExpiry: 120 },
    });
  });

  it("checks the rules on the location as it would be", async () => {
    const created = await admin.post(
      base,
      plainBody({ dnsLookup: "A", sipProxy: "proxy.example.com:5060" }),
    );
    const url = `${base}/${created.body.id}`;
    const before = await counts();
    const srv = await admin.patch(url, { dnsLookup: "SRV" });
    expect(srv.body.fields.sipProxy).toMatch(/With SRV lookup/);
    // Moving to a type with an API is fine; API settings on the plain type are not.
    expect((await admin.patch(url, { apiClientId: "x" })).body.fields.apiClientId).toMatch(
      /has no API/,
    );
    expect((await admin.patch(url, { pbxTypeId: disabledTypeId })).body.fields.pbxTypeId).toMatch(
      /Not a PBX type/,
    );
    expect(await counts()).toEqual(before);
    const moved = await admin.patch(url, { pbxTypeId: apiType.id, apiClientId: "x" });
    expect([moved.status, moved.body.pbxTypeHasApi, moved.body.apiClientId]).toEqual([
      200,
      true,
      "x",
    ]);
    // Back to a type without an API only once the API settings are cleared.
    expect((await admin.patch(url, { pbxTypeId: plainTypeId })).status).toBe(400);
    expect((await admin.patch(url, { pbxTypeId: plainTypeId, apiClientId: null })).status).toBe(
      200,
    );
  });

  it("deletes, records it, and the audit and activity show the three events", async () => {
    const created = await admin.post(base, plainBody({ locationName: "Short-lived" }));
    const url = `${base}/${created.body.id}`;
    await admin.patch(url, { dtmfMode: "inband" });
    expect((await admin.delete(url)).body).toEqual({ id: created.body.id, deleted: true });
    const audit = await resellerA.get(`/api/v1/audit?targetId=${created.body.id}`);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual([
      "pbx.deleted",
      "pbx.updated",
      "pbx.created",
    ]);
    const activity = await admin.get(`/api/v1/enterprises/${enterpriseId}/activity?pageSize=100`);
    expect(
      activity.body.items
        .filter((e: { target: { id: string } }) => e.target.id === created.body.id)
        .map((e: { action: string }) => e.action),
    ).toEqual(["pbx.deleted", "pbx.updated", "pbx.created"]);
    // Another enterprise's tree does not see them.
    const other = await signIn(t.app, world.b.masterAdmin.email);
    expect((await other.get(`/api/v1/audit?targetId=${created.body.id}`)).body.items).toEqual([]);
  });
});

describe("the list", () => {
  it("pages by location name, case-insensitively", async () => {
    const enterprise = await buildEnterprise(t.services.db, {
      reseller: world.a.reseller,
      pbxTypeIds: [plainTypeId],
    });
    const ea = await signInEnterpriseAdmin(
      t.app,
      t.services,
      (await buildEnterpriseAdmin(t.services.db, enterprise)).id,
    );
    const url = `/api/v1/enterprises/${enterprise.id}/pbxes`;
    const empty = await ea.get(url);
    expect(empty.body).toMatchObject({ items: [], total: 0, page: 1, canCreate: true });
    for (const locationName of ["charlie", "Alpha", "bravo"])
      await buildPbx(t.services.db, {
        enterpriseId: enterprise.id,
        pbxTypeId: plainTypeId,
        locationName,
      });
    const first = await ea.get(`${url}?pageSize=2`);
    expect(first.body.total).toBe(3);
    expect(first.body.items.map((p: { locationName: string }) => p.locationName)).toEqual([
      "Alpha",
      "bravo",
    ]);
    const second = await ea.get(`${url}?pageSize=2&page=2`);
    expect(second.body.items.map((p: { locationName: string }) => p.locationName)).toEqual([
      "charlie",
    ]);
  });
});

describe("generated bodies", () => {
  const field = fc.constantFrom(
    "pbxTypeId",
    "locationName",
    "dnsLookup",
    "sipDomain",
    "sipProxy",
    "transport",
    "registrationExpiry",
    "codecs",
    "dtmfMode",
    "voicemailFeatureCode",
    "callerNamePolicy",
    "callerName",
    "forwardedCallerId",
    "apiTokenUrl",
    "apiClientId",
    "apiClientSecret",
    "apiMasqueradingLogin",
    "unknownField",
  );
  const value = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom(
      "A",
      "SRV",
      "NAPTR",
      "tls",
      "*97",
      "#1",
      "OTHER",
      "TRANSPARENT",
      "pbx.example.com",
      "proxy.example.com:5060",
      "[2001:db8::1]:5060",
      "https://x.example.com/t",
      "\u0000",
      "\ud800",
      "x".repeat(400),
    ),
    fc.integer({ min: -10, max: 100_000 }),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.constantFrom("PCMU", "PCMA", "G722", "G729", "opus", "AMR", ""), { maxLength: 7 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
  );
  const body = fc.dictionary(field, value, { maxKeys: 8 });
  const valid = () =>
    plainBody({
      pbxTypeId: apiType.id,
      locationName: `Gen ${Math.random().toString(36).slice(2)}`,
    });

  it("add: never a 500; a refused body changes nothing; an accepted one is a valid location", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          body,
          body.map((b) => ({ ...valid(), ...b })),
        ),
        async (input) => {
          const before = await counts();
          const res = await admin.post(base, input);
          expect(res.status).toBeLessThan(500);
          if (res.status >= 400) {
            expect(typeof res.body.code).toBe("string");
            expect(await counts()).toEqual(before);
          } else {
            expect(res.status).toBe(201);
            expect(res.body.codecs.length).toBeGreaterThan(0);
            expect(JSON.stringify(res.body)).not.toContain('"apiClientSecret"');
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("edit: never a 500, and a refused edit leaves the location and the log as they were", async () => {
    const created = await admin.post(base, valid());
    const url = `${base}/${created.body.id}`;
    await fc.assert(
      fc.asyncProperty(body, async (input) => {
        const before = await counts();
        const res = await admin.patch(url, input);
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400) expect(await counts()).toEqual(before);
        else expect(res.status).toBe(200);
      }),
      { numRuns: 60 },
    );
  });
});
