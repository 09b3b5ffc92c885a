import { count, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  clientOf,
  createTestApp,
  signIn,
  type TestApp,
} from "../../../../../test/harness.ts";
import {
  emailClaims,
  enterprisePbxTypes,
  enterpriseRegions,
  enterprises,
  events,
  invitations,
  organizationPbxTypes,
  organizationRegions,
} from "../../../db/schema/index.ts";
import {
  buildAccount,
  buildOrganization,
  buildPbxType,
  buildRegion,
  buildWorld,
  type World,
} from "../../../db/seed/factories.ts";
import { enterpriseBody, lastInvitationMail } from "../enterprises.test-support.ts";

let t: TestApp;
let world: World;
let anonymous: Client;
let operator: Client;
let reseller: Client;
let trunkReseller: Client;
let trunkResellerId: string;
let entitled: { regionIds: string[]; pbxTypeIds: string[] };
let disabledRegionId: string;
let foreignRegionId: string;
let disabledPbxTypeId: string;
let foreignPbxTypeId: string;
let invitedResellerId: string;
let invitedResellerEmail: string;
let disabledResellerId: string;

const add = (resellerId: string) => `/api/v1/resellers/${resellerId}/enterprises`;
const info = (token: string) => `/api/v1/enterprise-invitations?token=${encodeURIComponent(token)}`;
const verify = "/api/v1/enterprise-invitations/verify";

beforeAll(async () => {
  t = await createTestApp();
  const db = t.services.db;
  world = await buildWorld(db);
  entitled = {
    regionIds: world.regions.map((r) => r.id),
    pbxTypeIds: world.pbxTypes.map((p) => p.id),
  };
  // Reseller A is also entitled to a disabled region and a disabled PBX type.
  disabledRegionId = (await buildRegion(db, { status: "disabled" })).id;
  disabledPbxTypeId = (await buildPbxType(db, { isDisabled: true })).id;
  await db
    .insert(organizationRegions)
    .values({ organizationId: world.a.reseller.id, regionId: disabledRegionId });
  await db
    .insert(organizationPbxTypes)
    .values({ organizationId: world.a.reseller.id, pbxTypeId: disabledPbxTypeId });
  // An active region and PBX type that reseller A is not entitled to.
  foreignRegionId = (await buildRegion(db)).id;
  foreignPbxTypeId = (await buildPbxType(db)).id;

  const trunkOnly = await buildOrganization(db, {
    kind: "reseller",
    parent: world.a.master,
    name: "Trunk Only",
    services: ["TRUNK"],
    regionIds: entitled.regionIds,
    pbxTypeIds: entitled.pbxTypeIds,
  });
  trunkResellerId = trunkOnly.id;
  const trunkAdmin = await buildAccount(db, { organizationId: trunkOnly.id });
  const invited = await buildOrganization(db, {
    kind: "reseller",
    parent: world.a.master,
    status: "invited",
    ...entitled,
  });
  invitedResellerId = invited.id;
  invitedResellerEmail = invited.email;
  disabledResellerId = (
    await buildOrganization(db, {
      kind: "reseller",
      parent: world.a.master,
      status: "disabled",
      ...entitled,
    })
  ).id;

  anonymous = clientOf(t.app);
  operator = await signIn(t.app, world.operatorAdmin.email);
  reseller = await signIn(t.app, world.a.resellerAdmin.username);
  trunkReseller = await signIn(t.app, trunkAdmin.username);
});
afterAll(() => t.close());

/** Row counts of everything creating an enterprise writes, including queued e-mail jobs. */
async function footprint() {
  const db = t.services.db;
  const countOf = async (table: PgTable) => (await db.select({ n: count() }).from(table))[0]!.n;
  const jobs = (await db.execute(
    sql`select count(*)::int as n from pgboss.job where name = 'invitations.send-email'`,
  )) as unknown as { rows: { n: number }[] };
  return {
    enterprises: await countOf(enterprises),
    regions: await countOf(enterpriseRegions),
    pbxTypes: await countOf(enterprisePbxTypes),
    emailClaims: await countOf(emailClaims),
    invitations: await countOf(invitations),
    audit: await countOf(events),
    jobs: jobs.rows[0]!.n,
  };
}

describe("Add Enterprise", () => {
  it("creates an invited enterprise with every field of the form, and audits it", async () => {
    const body = {
      ...enterpriseBody("create", {
        regionIds: [...entitled.regionIds].reverse(),
        pbxTypeIds: [entitled.pbxTypeIds[1]!],
      }),
      name: "  Contoso Ltd  ",
      adminEmail: "Global.Admin@Contoso.example.com",
      services: ["TRUNK", "PBX"],
    };
    const res = await reseller.post(add(world.a.reseller.id), body);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^ent_[0-9a-z]{20}$/),
      resellerId: world.a.reseller.id,
      resellerName: "Reseller A",
      name: "Contoso Ltd",
      adminEmail: "global.admin@contoso.example.com",
      userLimit: 50,
      pbxMusicOnHold: true,
      accessSipData: false,
      requestManagementConsent: true,
      billingReference: "PO-create",
      // In the order chosen: the first is the primary region of Direct Routing.
      regionIds: [...entitled.regionIds].reverse(),
      services: ["PBX", "TRUNK"],
      pbxTypeIds: [entitled.pbxTypeIds[1]],
      status: "invited",
      tenantName: null,
      // Asked for; the enterprise decides once registered.
      managementConsent: "pending",
      invitation: {
        email: "global.admin@contoso.example.com",
        sentAt: expect.any(String),
        expiresAt: expect.any(String),
        usedAt: null,
        mailState: "queued",
        mailError: null,
      },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      abilities: ["enterprise.update", "enterprise.disable", "enterprise.resend_invitation"],
    });
    const audit = await reseller.get(`/api/v1/audit?targetId=${res.body.id}`);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({
      action: "enterprise.created",
      target: { type: "enterprise", id: res.body.id, label: "Contoso Ltd" },
      after: {
        name: "Contoso Ltd",
        regionIds: [...entitled.regionIds].reverse(),
        status: "invited",
      },
    });
  });

  it("e-mails the invitation code and Complete link from the job, and the Complete page accepts them", async () => {
    const res = await reseller.post(add(world.a.reseller.id), enterpriseBody("mail", entitled));
    expect(res.status).toBe(201);
    expect(t.services.mailer.to(res.body.adminEmail)).toHaveLength(0); // nothing is sent by the request
    expect(await t.services.drain("invitations.send-email")).toBeGreaterThanOrEqual(1);
    const { mail, code, token } = lastInvitationMail(t.services.mailer, res.body.adminEmail);
    expect(t.services.mailer.to(res.body.adminEmail)).toHaveLength(1);
    expect(mail.text).toContain("Invitation code:");
    expect(mail.text).toContain("http://teamgate.test/complete?token=");
    expect(mail.subject).toContain("Acme mail");

    const view = await reseller.get(`/api/v1/enterprises/${res.body.id}`);
    expect(view.body.invitation).toMatchObject({ mailState: "sent", usedAt: null });

    const page = await anonymous.get(info(token));
    expect(page.status).toBe(200);
    expect(page.body).toEqual({
      enterpriseName: "Acme mail",
      resellerName: "Reseller A",
      expiresAt: view.body.invitation.expiresAt,
    });
    const checked = await anonymous.post(verify, { token, code: code.toLowerCase() });
    expect(checked.status).toBe(200);
    expect(checked.body).toMatchObject({
      adminEmail: res.body.adminEmail,
      next: "microsoft_sign_in",
    });
  });

  it("keeps no PBX types when the PBX Connector is not selected", async () => {
    const res = await reseller.post(add(world.a.reseller.id), {
      ...enterpriseBody("trunk", entitled),
      services: ["TRUNK"],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ services: ["TRUNK"], pbxTypeIds: [] });
  });

  it("lets the operator add an enterprise to any active reseller", async () => {
    const res = await operator.post(add(world.b.reseller.id), enterpriseBody("op", entitled));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      resellerId: world.b.reseller.id,
      abilities: expect.any(Array),
    });
  });
});

describe("Add Enterprise refuses", () => {
  it("a reseller that is not active (409 invalid_state)", async () => {
    for (const resellerId of [invitedResellerId, disabledResellerId]) {
      const res = await operator.post(add(resellerId), enterpriseBody("inactive", entitled));
      expect(res.status).toBe(409);
      expect(res.body.code).toBe("invalid_state");
    }
  });

  it("SBC regions that are not entitled, not active or unknown (400 regionIds)", async () => {
    for (const regionId of [foreignRegionId, disabledRegionId, "reg_00000000000000000000"]) {
      const res = await reseller.post(add(world.a.reseller.id), {
        ...enterpriseBody("region", entitled),
        regionIds: [entitled.regionIds[0]!, regionId],
      });
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual({ regionIds: expect.stringContaining(regionId) });
    }
  });

  it("services the reseller does not sell (400 services)", async () => {
    const res = await trunkReseller.post(add(trunkResellerId), enterpriseBody("svc", entitled));
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({ services: "This reseller does not sell PBX Connector" });
    const trunkOnly = await trunkReseller.post(add(trunkResellerId), {
      ...enterpriseBody("svc", entitled),
      services: ["TRUNK"],
    });
    expect(trunkOnly.status).toBe(201);
  });

  it("PBX types that are not entitled, disabled or unknown (400 pbxTypeIds)", async () => {
    for (const pbxTypeId of [foreignPbxTypeId, disabledPbxTypeId, "pbt_00000000000000000000"]) {
      const res = await reseller.post(add(world.a.reseller.id), {
        ...enterpriseBody("pbx", entitled),
        pbxTypeIds: [pbxTypeId],
      });
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual({ pbxTypeIds: expect.stringContaining(pbxTypeId) });
    }
  });

  it("every entitlement problem in one answer", async () => {
    const res = await trunkReseller.post(add(trunkResellerId), {
      ...enterpriseBody("all", entitled),
      regionIds: [foreignRegionId],
      pbxTypeIds: [foreignPbxTypeId],
    });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.fields).sort()).toEqual(["pbxTypeIds", "regionIds", "services"]);
  });

  it("a name used by any enterprise of the platform, whatever its case (409 name)", async () => {
    const res = await reseller.post(add(world.a.reseller.id), {
      ...enterpriseBody("dupname", entitled),
      name: "ENTERPRISE b",
    });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      code: "name_in_use",
      fields: { name: "An enterprise with this name already exists" },
    });
  });

  it("an admin e-mail used by any account, organization or enterprise of any tier (409 adminEmail)", async () => {
    for (const email of [
      world.operatorAdmin.email,
      world.b.masterAdmin.email,
      world.b.resellerAdmin.email.toUpperCase(),
      world.b.enterprise.adminEmail,
      invitedResellerEmail,
    ]) {
      const res = await reseller.post(add(world.a.reseller.id), {
        ...enterpriseBody("dupmail", entitled),
        adminEmail: email,
      });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({
        code: "email_in_use",
        fields: { adminEmail: "This e-mail address is already in use" },
      });
    }
  });

  it("a taken name and a taken e-mail together, naming both fields", async () => {
    const res = await reseller.post(add(world.a.reseller.id), {
      ...enterpriseBody("both", entitled),
      name: "Enterprise A",
      adminEmail: world.b.enterprise.adminEmail,
    });
    expect(res.status).toBe(409);
    expect(Object.keys(res.body.fields).sort()).toEqual(["adminEmail", "name"]);
  });
});

describe("Add Enterprise writes nothing when it fails", () => {
  it("leaves no row, claim, invitation, audit entry or queued e-mail behind", async () => {
    const before = await footprint();
    const body = enterpriseBody("partial", entitled);
    const failures = [
      { ...body, regionIds: [foreignRegionId] },
      { ...body, name: "Enterprise B" }, // the e-mail is claimed before the name check fails
      { ...body, adminEmail: world.b.enterprise.adminEmail },
    ];
    for (const failing of failures) {
      expect(
        (await reseller.post(add(world.a.reseller.id), failing)).status,
      ).toBeGreaterThanOrEqual(400);
    }
    expect((await operator.post(add(invitedResellerId), body)).status).toBe(409);
    expect(await footprint()).toEqual(before);
    // The e-mail the refused requests tried to claim is still free.
    expect((await reseller.post(add(world.a.reseller.id), body)).status).toBe(201);
  });

  it("rolls everything back when the last step (the audit entry) fails", async () => {
    const db = t.services.db;
    await db.execute(sql`
      create function fail_enterprise_audit() returns trigger language plpgsql as $$
      begin
        if new.name = 'enterprise.created' then raise exception 'audit store unavailable'; end if;
        return new;
      end $$`);
    await db.execute(sql`
      create trigger fail_enterprise_audit before insert on events
      for each row execute function fail_enterprise_audit()`);
    const body = enterpriseBody("late-failure", entitled);
    const before = await footprint();
    try {
      const res = await reseller.post(add(world.a.reseller.id), body);
      expect(res.status).toBe(500);
      expect(res.body.code).toBe("internal");
      expect(await footprint()).toEqual(before);
      await t.services.drain("invitations.send-email");
      expect(t.services.mailer.to(body.adminEmail)).toHaveLength(0);
    } finally {
      await db.execute(sql`drop trigger fail_enterprise_audit on events`);
      await db.execute(sql`drop function fail_enterprise_audit()`);
    }
    expect((await reseller.post(add(world.a.reseller.id), body)).status).toBe(201);
  });
});

describe("Resend invitation", () => {
  it("voids the previous code and link; the Complete page accepts only the new ones", async () => {
    const created = await reseller.post(
      add(world.a.reseller.id),
      enterpriseBody("resend", entitled),
    );
    const email = created.body.adminEmail as string;
    await t.services.drain("invitations.send-email");
    const first = lastInvitationMail(t.services.mailer, email);

    const resent = await reseller.post(`/api/v1/enterprises/${created.body.id}/resend-invitation`);
    expect(resent.status).toBe(200);
    expect(resent.body.invitation).toMatchObject({ email, mailState: "queued" });
    await t.services.drain("invitations.send-email");
    expect(t.services.mailer.to(email)).toHaveLength(2);
    const second = lastInvitationMail(t.services.mailer, email);
    expect(second.token).not.toBe(first.token);

    const oldPage = await anonymous.get(info(first.token));
    expect(oldPage.status).toBe(410);
    expect(oldPage.body.code).toBe("invitation_invalid");
    expect((await anonymous.post(verify, { token: first.token, code: first.code })).status).toBe(
      410,
    );

    expect(second.code).not.toBe(first.code);
    const oldCode = await anonymous.post(verify, { token: second.token, code: first.code });
    expect(oldCode.status).toBe(400);
    expect(oldCode.body.fields).toEqual({
      code: "The invitation code is not correct (9 attempts left)",
    });
    const wrong = await anonymous.post(verify, { token: second.token, code: "ZZZZ-ZZZZ" });
    expect(wrong.body.fields.code).toBe("The invitation code is not correct (8 attempts left)");

    const ok = await anonymous.post(verify, { token: second.token, code: second.code });
    expect(ok.status).toBe(200);
    // Checking the code does not use the invitation up: the Microsoft sign-in will.
    expect((await anonymous.post(verify, { token: second.token, code: second.code })).status).toBe(
      200,
    );
    const audit = await reseller.get(`/api/v1/audit?targetId=${created.body.id}`);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual([
      "enterprise.invitation_resent",
      "enterprise.created",
    ]);
  });

  it("leaves the link dead while the enterprise is disabled, and alive again once enabled", async () => {
    const created = await reseller.post(add(world.a.reseller.id), enterpriseBody("dis", entitled));
    await t.services.drain("invitations.send-email");
    const { token, code } = lastInvitationMail(t.services.mailer, created.body.adminEmail);
    await reseller.post(`/api/v1/enterprises/${created.body.id}/disable`);
    expect((await anonymous.get(info(token))).status).toBe(410);
    expect((await anonymous.post(verify, { token, code })).status).toBe(410);
    await reseller.post(`/api/v1/enterprises/${created.body.id}/enable`);
    expect((await anonymous.get(info(token))).status).toBe(200);
  });
});
