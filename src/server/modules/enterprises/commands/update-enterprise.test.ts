import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  clientOf,
  createTestApp,
  signIn,
  type TestApp,
} from "../../../../../test/harness.ts";
import { enterprises, pbxTypes, regions } from "../../../db/schema/index.ts";
import { buildPbxType, buildRegion, buildWorld, type World } from "../../../db/seed/factories.ts";
import { enterpriseBody, lastInvitationMail } from "../enterprises.test-support.ts";

let t: TestApp;
let world: World;
let anonymous: Client;
let operator: Client;
let reseller: Client;
let entitled: { regionIds: string[]; pbxTypeIds: string[] };

const add = `/api/v1/resellers/`;
const one = (id: string) => `/api/v1/enterprises/${id}`;
const info = (token: string) => `/api/v1/enterprise-invitations?token=${encodeURIComponent(token)}`;

beforeAll(async () => {
  t = await createTestApp();
  world = await buildWorld(t.services.db);
  entitled = {
    regionIds: world.regions.map((r) => r.id),
    pbxTypeIds: world.pbxTypes.map((p) => p.id),
  };
  anonymous = clientOf(t.app);
  operator = await signIn(t.app, world.operatorAdmin.email);
  reseller = await signIn(t.app, world.a.resellerAdmin.username);
});
afterAll(() => t.close());

let n = 0;
async function addEnterprise(overrides: Record<string, unknown> = {}) {
  const res = await reseller.post(`${add}${world.a.reseller.id}/enterprises`, {
    ...enterpriseBody(`u${++n}`, entitled),
    ...overrides,
  });
  expect(res.status).toBe(201);
  return res.body as { id: string; name: string; adminEmail: string; userLimit: number };
}

async function auditActions(id: string) {
  const res = await reseller.get(`/api/v1/audit?targetId=${id}`);
  return res.body.items as { action: string; before: unknown; after: unknown }[];
}

describe("Edit enterprise", () => {
  it("changes only the given fields and audits before and after", async () => {
    const created = await addEnterprise();
    const res = await reseller.patch(one(created.id), {
      name: "Fabrikam",
      accessSipData: true,
      regionIds: [entitled.regionIds[1]!],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: "Fabrikam",
      accessSipData: true,
      regionIds: [entitled.regionIds[1]],
      userLimit: created.userLimit, // omitted, so kept (not reset to unlimited)
      billingReference: `PO-u${n}`,
      pbxTypeIds: [...entitled.pbxTypeIds].sort(),
    });
    const [entry] = await auditActions(created.id);
    expect(entry).toMatchObject({
      action: "enterprise.updated",
      before: { name: created.name, accessSipData: false, userLimit: 50 },
      after: { name: "Fabrikam", accessSipData: true, regionIds: [entitled.regionIds[1]] },
    });
  });

  it("clears the user limit only when asked to", async () => {
    const created = await addEnterprise();
    const res = await reseller.patch(one(created.id), { userLimit: null });
    expect(res.body.userLimit).toBeNull();
  });

  it("writes nothing (no audit entry) when nothing changes", async () => {
    const created = await addEnterprise();
    const res = await reseller.patch(one(created.id), { name: created.name, userLimit: 50 });
    expect(res.status).toBe(200);
    expect((await auditActions(created.id)).map((e) => e.action)).toEqual(["enterprise.created"]);
  });

  it("clears the PBX types when the PBX Connector is turned off, and requires them back with it", async () => {
    const created = await addEnterprise();
    const off = await reseller.patch(one(created.id), { services: ["TRUNK"] });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ services: ["TRUNK"], pbxTypeIds: [] });
    const onWithout = await reseller.patch(one(created.id), { services: ["PBX"] });
    expect(onWithout.status).toBe(400);
    expect(onWithout.body.fields).toEqual({ pbxTypeIds: "Assign at least one PBX type" });
    const emptied = await reseller.patch(one(created.id), {
      services: ["PBX"],
      pbxTypeIds: [],
    });
    expect(emptied.status).toBe(400);
    const on = await reseller.patch(one(created.id), {
      services: ["PBX"],
      pbxTypeIds: [entitled.pbxTypeIds[0]!],
    });
    expect(on.body).toMatchObject({ services: ["PBX"], pbxTypeIds: [entitled.pbxTypeIds[0]] });
    const noneLeft = await reseller.patch(one(created.id), { pbxTypeIds: [] });
    expect(noneLeft.status).toBe(400);
    expect(noneLeft.body.fields).toEqual({ pbxTypeIds: "Assign at least one PBX type" });
  });

  it("applies the reseller's entitlements to what is added, not to what the enterprise already has", async () => {
    const created = await addEnterprise();
    const foreignRegion = await buildRegion(t.services.db);
    const foreignPbxType = await buildPbxType(t.services.db);
    const badRegion = await reseller.patch(one(created.id), { regionIds: [foreignRegion.id] });
    expect(badRegion.status).toBe(400);
    expect(badRegion.body.fields).toEqual({ regionIds: expect.stringContaining(foreignRegion.id) });
    const badPbx = await reseller.patch(one(created.id), { pbxTypeIds: [foreignPbxType.id] });
    expect(badPbx.status).toBe(400);
    expect(Object.keys(badPbx.body.fields)).toEqual(["pbxTypeIds"]);

    // The operator disables a region and a PBX type the enterprise uses: editing still works.
    const kept = await addEnterprise({
      regionIds: [entitled.regionIds[0]!],
      pbxTypeIds: [entitled.pbxTypeIds[1]!],
    });
    await t.services.db
      .update(regions)
      .set({ status: "disabled" })
      .where(eq(regions.id, entitled.regionIds[0]!));
    await t.services.db
      .update(pbxTypes)
      .set({ isDisabled: true })
      .where(eq(pbxTypes.id, entitled.pbxTypeIds[1]!));
    try {
      const edit = await reseller.patch(one(kept.id), {
        name: "Still editable",
        regionIds: entitled.regionIds,
        pbxTypeIds: [entitled.pbxTypeIds[1]!],
      });
      expect(edit.status).toBe(200);
      // …but a new enterprise cannot pick them.
      const fresh = await reseller.post(`${add}${world.a.reseller.id}/enterprises`, {
        ...enterpriseBody("after-disable", entitled),
      });
      expect(Object.keys(fresh.body.fields).sort()).toEqual(["pbxTypeIds", "regionIds"]);
    } finally {
      await t.services.db
        .update(regions)
        .set({ status: "active" })
        .where(eq(regions.id, entitled.regionIds[0]!));
      await t.services.db
        .update(pbxTypes)
        .set({ isDisabled: false })
        .where(eq(pbxTypes.id, entitled.pbxTypeIds[1]!));
    }
  });

  it("refuses a name another enterprise uses, but allows changing the case of its own", async () => {
    const created = await addEnterprise();
    const dup = await reseller.patch(one(created.id), { name: "enterprise b" });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ code: "name_in_use", fields: { name: expect.any(String) } });
    const recased = await reseller.patch(one(created.id), { name: created.name.toUpperCase() });
    expect(recased.status).toBe(200);
    expect(recased.body.name).toBe(created.name.toUpperCase());
  });

  it("lets the operator edit an enterprise of any subtree", async () => {
    const res = await operator.patch(one(world.b.enterprise.id), { billingReference: "OPS-1" });
    expect(res.status).toBe(200);
    expect(res.body.billingReference).toBe("OPS-1");
  });
});

describe("Changing the admin e-mail", () => {
  it("while invited: moves the claim and sends a new invitation to the new address", async () => {
    const created = await addEnterprise();
    await t.services.drain("invitations.send-email");
    const old = lastInvitationMail(t.services.mailer, created.adminEmail);

    const res = await reseller.patch(one(created.id), { adminEmail: "New.Admin@Acme.example.com" });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      adminEmail: "new.admin@acme.example.com",
      invitation: { email: "new.admin@acme.example.com", mailState: "queued" },
    });
    await t.services.drain("invitations.send-email");
    const fresh = lastInvitationMail(t.services.mailer, "new.admin@acme.example.com");
    expect(fresh.mail.text).toContain("Invitation code:");
    expect((await anonymous.get(info(old.token))).status).toBe(410);
    expect((await anonymous.get(info(fresh.token))).status).toBe(200);

    // The old address is free again; the new one is taken.
    const reuseOld = await addEnterprise({ adminEmail: created.adminEmail });
    expect(reuseOld.adminEmail).toBe(created.adminEmail);
    const takeNew = await reseller.post(`${add}${world.a.reseller.id}/enterprises`, {
      ...enterpriseBody("takenew", entitled),
      adminEmail: "new.admin@acme.example.com",
    });
    expect(takeNew.status).toBe(409);
    expect(takeNew.body.fields).toEqual({ adminEmail: "This e-mail address is already in use" });
  });

  it("to an address in use: 409 on adminEmail, and nothing changes", async () => {
    const created = await addEnterprise();
    const res = await reseller.patch(one(created.id), {
      adminEmail: world.a.resellerAdmin.email,
      name: "Should not stick",
    });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      code: "email_in_use",
      fields: { adminEmail: expect.any(String) },
    });
    const after = await reseller.get(one(created.id));
    expect(after.body).toMatchObject({ name: created.name, adminEmail: created.adminEmail });
  });

  it("once registered: refused with 409 on adminEmail (other edits still allowed)", async () => {
    const created = await addEnterprise();
    await t.services.db
      .update(enterprises)
      .set({ status: "registered" })
      .where(eq(enterprises.id, created.id));
    const res = await reseller.patch(one(created.id), { adminEmail: "later@acme.example.com" });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      code: "invalid_state",
      fields: {
        adminEmail: "The admin e-mail can be changed only while the enterprise is invited",
      },
    });
    const same = await reseller.patch(one(created.id), {
      adminEmail: created.adminEmail,
      userLimit: 7,
    });
    expect(same.status).toBe(200);
    expect(same.body.userLimit).toBe(7);
  });
});

describe("Disable and enable", () => {
  it("restores the status the enterprise had before it was disabled, and audits both", async () => {
    const created = await addEnterprise();
    await t.services.db
      .update(enterprises)
      .set({ status: "registered" })
      .where(eq(enterprises.id, created.id));
    const disabled = await reseller.post(`${one(created.id)}/disable`);
    expect(disabled.body.status).toBe("disabled");
    const [row] = await t.services.db
      .select()
      .from(enterprises)
      .where(eq(enterprises.id, created.id));
    expect(row!.statusBeforeDisable).toBe("registered");
    const enabled = await reseller.post(`${one(created.id)}/enable`);
    expect(enabled.body).toMatchObject({
      status: "registered",
      abilities: ["enterprise.update", "enterprise.disable"],
    });
    const entries = await auditActions(created.id);
    expect(entries.slice(0, 2)).toMatchObject([
      {
        action: "enterprise.enabled",
        before: { status: "disabled" },
        after: { status: "registered" },
      },
      {
        action: "enterprise.disabled",
        before: { status: "registered" },
        after: { status: "disabled" },
      },
    ]);
  });

  it("refuses to resend the invitation of a disabled enterprise (409)", async () => {
    const created = await addEnterprise();
    await reseller.post(`${one(created.id)}/disable`);
    const res = await reseller.post(`${one(created.id)}/resend-invitation`);
    expect(res.status).toBe(409);
    expect(res.body.message).toBe("Only an invited enterprise can be sent a new invitation");
  });
});
