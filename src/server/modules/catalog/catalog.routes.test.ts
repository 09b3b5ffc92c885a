import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  clientOf,
  createTestApp,
  signIn,
  type TestApp,
} from "../../../../test/harness.ts";
import { buildWorld, type World } from "../../db/seed/factories.ts";

let t: TestApp;
let world: World;
let operator: Client;
let master: Client;
let reseller: Client;

beforeAll(async () => {
  t = await createTestApp();
  world = await buildWorld(t.services.db);
  operator = await signIn(t.app, world.operatorAdmin.email);
  master = await signIn(t.app, world.a.masterAdmin.email);
  reseller = await signIn(t.app, world.a.resellerAdmin.username);
});
afterAll(() => t.close());

describe("SBC regions", () => {
  const body = { name: "US East 1", carrierFqdn: "USE1.sbc.example.net" };

  it("refuses anonymous callers (401)", async () => {
    expect((await clientOf(t.app).post("/api/v1/regions", body)).status).toBe(401);
    expect((await clientOf(t.app).get("/api/v1/regions")).status).toBe(401);
  });

  it("names each invalid field (400) and writes nothing", async () => {
    const res = await operator.post("/api/v1/regions", {
      name: "",
      carrierFqdn: "not a host",
      extra: 1,
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("validation_failed");
    expect(res.body.fields).toMatchObject({
      name: "Required",
      carrierFqdn: expect.stringContaining("fully qualified"),
      extra: "Unknown field",
    });
    expect((await operator.get("/api/v1/regions")).body.items).toHaveLength(2);
  });

  it("answers 404 for an unknown region", async () => {
    expect(
      (await operator.patch("/api/v1/regions/reg_00000000000000000000", { name: "X1" })).status,
    ).toBe(404);
  });

  it("refuses other roles (403)", async () => {
    expect((await master.post("/api/v1/regions", body)).status).toBe(403);
    expect(
      (await reseller.patch(`/api/v1/regions/${world.regions[0]!.id}`, { name: "Renamed" })).status,
    ).toBe(403);
  });

  it("lets the operator add and edit a region, lower-casing the FQDN, and audits it", async () => {
    const res = await operator.post("/api/v1/regions", body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: "US East 1",
      carrierFqdn: "use1.sbc.example.net",
      status: "active",
    });
    const edited = await operator.patch(`/api/v1/regions/${res.body.id}`, { status: "disabled" });
    expect(edited.body.status).toBe("disabled");
    const audit = await operator.get(`/api/v1/audit?targetId=${res.body.id}`);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual([
      "region.updated",
      "region.created",
    ]);
  });

  it("refuses a duplicate name or FQDN with a field error", async () => {
    const dupName = await operator.post("/api/v1/regions", {
      name: "us east 1",
      carrierFqdn: "other.example.net",
    });
    expect(dupName.status).toBe(409);
    expect(dupName.body.fields).toEqual({ name: "An SBC region with this name already exists" });
    const dupFqdn = await operator.post("/api/v1/regions", {
      name: "Other",
      carrierFqdn: "use1.sbc.example.net",
    });
    expect(dupFqdn.body.fields).toEqual({ carrierFqdn: "Another SBC region uses this FQDN" });
  });

  it("an edit keeps the fields it does not name", async () => {
    const res = await operator.post("/api/v1/regions", {
      name: "Kept region",
      carrierFqdn: "kept.sbc.example.net",
      status: "disabled",
    });
    const edited = await operator.patch(`/api/v1/regions/${res.body.id}`, { name: "Kept 2" });
    expect(edited.body).toMatchObject({ name: "Kept 2", status: "disabled" });
  });

  it("shows a reseller only its entitled regions", async () => {
    const res = await reseller.get("/api/v1/regions");
    expect(res.body.items.map((r: { id: string }) => r.id).sort()).toEqual(
      world.regions.map((r) => r.id).sort(),
    );
  });
});

describe("PBX types", () => {
  it("keeps a single default", async () => {
    const res = await operator.post("/api/v1/pbx-types", {
      name: "RingLogix",
      label: "Ringlogix",
      isDefault: true,
    });
    expect(res.status).toBe(201);
    const all = (await operator.get("/api/v1/pbx-types")).body.items as {
      id: string;
      isDefault: boolean;
    }[];
    expect(all.filter((p) => p.isDefault).map((p) => p.id)).toEqual([res.body.id]);
  });

  it("refuses a disabled default", async () => {
    const res = await operator.post("/api/v1/pbx-types", {
      name: "Broken",
      label: "B",
      isDefault: true,
      isDisabled: true,
    });
    expect(res.status).toBe(400);
    expect(res.body.fields.isDefault).toMatch(/disabled/);
  });

  it("carries the PBX location form's defaults and whether the PBX has an API", async () => {
    const plain = await operator.post("/api/v1/pbx-types", { name: "Plain PBX", label: "Plain" });
    expect(plain.body).toMatchObject({
      defaultDnsLookup: "A",
      defaultTransport: "udp",
      defaultVoicemailFeatureCode: null,
      hasApi: false,
    });
    const res = await operator.post("/api/v1/pbx-types", {
      name: "Netsapiens",
      label: "Netsapiens",
      defaultDnsLookup: "SRV",
      defaultTransport: "tls",
      defaultVoicemailFeatureCode: " *97 ",
      hasApi: true,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      defaultDnsLookup: "SRV",
      defaultTransport: "tls",
      defaultVoicemailFeatureCode: "*97",
      hasApi: true,
    });
    const bad = await operator.post("/api/v1/pbx-types", {
      name: "Bad defaults",
      label: "Bad",
      defaultDnsLookup: "MX",
      defaultTransport: "sctp",
      defaultVoicemailFeatureCode: "97",
      hasApi: "yes",
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.fields).sort()).toEqual([
      "defaultDnsLookup",
      "defaultTransport",
      "defaultVoicemailFeatureCode",
      "hasApi",
    ]);
    expect(bad.body.fields.defaultVoicemailFeatureCode).toMatch(/\* or # followed by digits/);
  });

  it("an edit changes only the fields it names (no field falls back to its default)", async () => {
    const created = await operator.post("/api/v1/pbx-types", {
      name: "Kept PBX",
      label: "Kept",
      isDefault: true,
      hostingType: "on_premises",
      defaultDnsLookup: "NAPTR",
      defaultTransport: "tcp",
      defaultVoicemailFeatureCode: "#1",
      hasApi: true,
    });
    const edited = await operator.patch(`/api/v1/pbx-types/${created.body.id}`, {
      label: "Kept (renamed)",
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toEqual({ ...created.body, label: "Kept (renamed)" });
    const cleared = await operator.patch(`/api/v1/pbx-types/${created.body.id}`, {
      defaultVoicemailFeatureCode: null,
    });
    expect(cleared.body.defaultVoicemailFeatureCode).toBeNull();
  });

  it("has the ladder", async () => {
    expect((await clientOf(t.app).post("/api/v1/pbx-types", {})).status).toBe(401);
    expect((await operator.post("/api/v1/pbx-types", { name: 3 })).status).toBe(400);
    expect(
      (await operator.patch("/api/v1/pbx-types/pbt_00000000000000000000", { label: "x" })).status,
    ).toBe(404);
    expect((await reseller.post("/api/v1/pbx-types", { name: "Nope", label: "n" })).status).toBe(
      403,
    );
  });
});
