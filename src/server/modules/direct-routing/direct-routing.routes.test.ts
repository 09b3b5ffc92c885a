import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  clientOf,
  createTestApp,
  signIn,
  signInEnterpriseAdmin,
  type TestApp,
} from "../../../../test/harness.ts";
import { enterprises, workflowRuns, workflowSteps } from "../../db/schema/index.ts";
import {
  buildEnterprise,
  buildEnterpriseAdmin,
  buildTeamsAdminRoleRun,
  buildWorld,
  type World,
} from "../../db/seed/factories.ts";
import {
  requestedAppPermissions,
  requiredAppPermissions,
} from "../../integrations/microsoft/config.ts";

let t: TestApp;
let world: World;
let reseller: Client;
let master: Client;

const url = (id: string) => `/api/v1/enterprises/${id}/direct-routing`;

beforeAll(async () => {
  t = await createTestApp();
  world = await buildWorld(t.services.db);
  reseller = await signIn(t.app, world.a.resellerAdmin.username);
  master = await signIn(t.app, world.a.masterAdmin.username);
});
afterAll(() => t.close());

/** A registered enterprise of reseller A, asking for management consent, and its admin. */
async function registeredEnterprise(
  grantedPermissions: string[] = [...requestedAppPermissions],
  teamsAdminRole: "succeeded" | "failed" | null = "succeeded",
) {
  const enterprise = await buildEnterprise(t.services.db, {
    reseller: world.a.reseller,
    regionIds: world.regions.map((r) => r.id),
    requestManagementConsent: true,
    grantedPermissions,
  });
  const admin = await signInEnterpriseAdmin(
    t.app,
    t.services,
    (await buildEnterpriseAdmin(t.services.db, enterprise)).id,
  );
  const [row] = await t.services.db
    .select()
    .from(enterprises)
    .where(eq(enterprises.id, enterprise.id));
  if (teamsAdminRole) await buildTeamsAdminRoleRun(t.services.db, row!, { status: teamsAdminRole });
  return { enterprise, admin };
}

describe("POST /enterprises/:enterpriseId/direct-routing/check and /repair", () => {
  it("has the ladder: 401, 400, 404, 403 (role, then consent), 409 until set up, 202", async () => {
    const { enterprise, admin } = await registeredEnterprise();
    for (const action of ["check", "repair"]) {
      const path = `${url(enterprise.id)}/${action}`;
      expect((await clientOf(t.app).post(path)).status).toBe(401);
      expect((await admin.post(`${url("x".repeat(65))}/${action}`)).status).toBe(400);
      expect((await reseller.post(`${url(world.b.enterprise.id)}/${action}`)).status).toBe(404);
      const byMaster = await master.post(path);
      expect([byMaster.status, byMaster.body.code]).toEqual([403, "forbidden"]);
      const byReseller = await reseller.post(path);
      expect([byReseller.status, byReseller.body.code]).toEqual([
        403,
        "management_consent_required",
      ]);
      const notSetUp = await admin.post(path);
      expect([notSetUp.status, notSetUp.body.message]).toEqual([
        409,
        "Direct Routing is not set up for this enterprise",
      ]);
    }
    const runId = (await admin.post(url(enterprise.id))).body.run.id;
    const running = await admin.post(`${url(enterprise.id)}/check`);
    expect([running.status, running.body.message]).toEqual([
      409,
      "Direct Routing is not set up yet: it can be checked and repaired once its set-up has finished",
    ]);
    await t.services.db
      .update(workflowRuns)
      .set({ status: "succeeded" })
      .where(eq(workflowRuns.id, runId));
    await t.services.db
      .update(workflowSteps)
      .set({ status: "succeeded" })
      .where(eq(workflowSteps.runId, runId));

    const checking = await admin.post(`${url(enterprise.id)}/check`);
    expect(checking.status).toBe(202);
    expect(checking.body.run.checking).toBe(true);
    expect(checking.body.abilities).toEqual(["direct_routing.remove"]);
    const nothing = await admin.post(`${url(enterprise.id)}/repair`);
    expect([nothing.status, nothing.body.message]).toEqual([
      409,
      "Nothing to repair: the last check found no differences",
    ]);
    await t.services.db
      .update(workflowSteps)
      .set({ drift: ["The voice route Teamgate is missing"] })
      .where(
        and(eq(workflowSteps.runId, runId), eq(workflowSteps.stepId, "direct-routing.voice-route")),
      );
    const repairing = await admin.post(`${url(enterprise.id)}/repair`);
    expect(repairing.status).toBe(202);
    expect(repairing.body.run.status).toBe("running");
    expect(
      repairing.body.run.steps
        .filter((step: { status: string }) => step.status === "pending")
        .map((step: { id: string }) => step.id),
    ).toEqual(["direct-routing.voice-route"]);
    // A repair under way answers the check it was asked for.
    expect(repairing.body.run.checking).toBe(false);
  });
});

describe("POST /enterprises/:enterpriseId/direct-routing", () => {
  it("has the ladder: 401, 400, 404, 403 (role, then consent), 409 unregistered, 202", async () => {
    const { enterprise, admin } = await registeredEnterprise();
    expect((await clientOf(t.app).post(url(enterprise.id))).status).toBe(401);
    expect((await admin.post(url("x".repeat(65)))).status).toBe(400);
    expect((await reseller.post(url(world.b.enterprise.id))).status).toBe(404);
    const byMaster = await master.post(url(enterprise.id));
    expect([byMaster.status, byMaster.body.code]).toEqual([403, "forbidden"]);
    const byReseller = await reseller.post(url(enterprise.id));
    expect([byReseller.status, byReseller.body.code]).toEqual([403, "management_consent_required"]);
    const invited = await buildEnterprise(t.services.db, {
      reseller: world.a.reseller,
      requestManagementConsent: true,
      managementConsentGrantedAt: new Date(),
    });
    const notYet = await reseller.post(url(invited.id));
    expect([notYet.status, notYet.body.code]).toEqual([409, "invalid_state"]);

    const started = await admin.post(url(enterprise.id));
    expect(started.status).toBe(202);
    expect(started.body.run).toMatchObject({ name: "direct-routing.provision", status: "running" });
    expect(started.body.run.steps.map((s: { id: string }) => s.id)).toEqual([
      "direct-routing.allocate",
      "direct-routing.add-domains",
      "direct-routing.publish-txt",
      "direct-routing.verify-domains",
      "direct-routing.activation-users",
      "direct-routing.wait-activation",
      "direct-routing.pstn-usage",
      "direct-routing.voice-route",
      "direct-routing.voice-routing-policy",
      "direct-routing.dial-plan",
      "direct-routing.music-on-hold",
      "direct-routing.retire-trunks",
      "direct-routing.activate",
    ]);
    expect(started.body.abilities).toEqual([]);
    const again = await admin.post(url(enterprise.id));
    expect([again.status, again.body.code]).toEqual([409, "invalid_state"]);
    const runs = await t.services.db
      .select()
      .from(workflowRuns)
      .where(
        and(
          eq(workflowRuns.subjectId, enterprise.id),
          eq(workflowRuns.name, "direct-routing.provision"),
        ),
      );
    expect(runs).toHaveLength(1);
  });

  it("lets the provider set it up once the enterprise has consented", async () => {
    const { enterprise } = await registeredEnterprise();
    await t.services.db
      .update(enterprises)
      .set({ managementConsentGrantedAt: new Date(), managementConsentGrantedBy: "Admin" })
      .where(eq(enterprises.id, enterprise.id));
    const before = await reseller.get(url(enterprise.id));
    expect(before.body).toMatchObject({
      routes: [],
      run: null,
      abilities: ["direct_routing.set_up"],
    });
    expect((await reseller.post(url(enterprise.id))).status).toBe(202);
  });

  it("waits for a tenant that registered before Direct Routing to grant its permissions (409)", async () => {
    const { enterprise, admin } = await registeredEnterprise([...requiredAppPermissions]);
    const view = await admin.get(url(enterprise.id));
    expect(view.body).toMatchObject({
      missingPermissions: ["Domain.ReadWrite.All", "User.ReadWrite.All"],
      blockedBy: expect.stringContaining("a Global Administrator must grant them first"),
      abilities: [],
    });
    const refused = await admin.post(url(enterprise.id));
    expect([refused.status, refused.body.code]).toEqual([409, "invalid_state"]);
    expect(refused.body.message).toContain("Domain.ReadWrite.All, User.ReadWrite.All");
  });

  it("waits until Microsoft applies the Teams Administrator role (409), which every Teams call needs", async () => {
    for (const role of [null, "failed"] as const) {
      const { enterprise, admin } = await registeredEnterprise(undefined, role);
      const view = (await admin.get(url(enterprise.id))).body;
      expect(view.abilities).toEqual([]);
      expect(view.blockedBy).toContain("Teams Administrator role");
      const refused = await admin.post(url(enterprise.id));
      expect([refused.status, refused.body.message]).toEqual([409, `${view.blockedBy}`]);
    }
  });
});

describe("DELETE /enterprises/:enterpriseId/direct-routing", () => {
  it("has the ladder: 401, 400, 404, 403 (role, then consent), 409 (nothing set up; under way)", async () => {
    const { enterprise, admin } = await registeredEnterprise();
    expect((await clientOf(t.app).delete(url(enterprise.id))).status).toBe(401);
    expect((await admin.delete(url("x".repeat(65)))).status).toBe(400);
    expect((await reseller.delete(url(world.b.enterprise.id))).status).toBe(404);
    expect((await master.delete(url(enterprise.id))).body.code).toBe("forbidden");
    expect((await reseller.delete(url(enterprise.id))).body.code).toBe(
      "management_consent_required",
    );
    const nothing = await admin.delete(url(enterprise.id));
    expect([nothing.status, nothing.body.message]).toEqual([
      409,
      "Direct Routing is not set up for this enterprise",
    ]);
    await admin.post(url(enterprise.id));
    const running = await admin.delete(url(enterprise.id));
    expect([running.status, running.body.code]).toEqual([409, "invalid_state"]);
    expect(running.body.message).toContain("being set up");
  });
});

describe("GET /enterprises/:enterpriseId/direct-routing", () => {
  it("has the ladder: 401, 400, 404, then 200 for every role of the subtree", async () => {
    const { enterprise, admin } = await registeredEnterprise();
    expect((await clientOf(t.app).get(url(enterprise.id))).status).toBe(401);
    expect((await admin.get(url("x".repeat(65)))).status).toBe(400);
    expect((await master.get(url(world.b.enterprise.id))).status).toBe(404);
    for (const client of [admin, reseller, master]) {
      const res = await client.get(url(enterprise.id));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ routes: [], run: null });
    }
    // Only who may set it up is offered the button: the admin; not the master reseller, nor the
    // reseller without consent.
    expect((await admin.get(url(enterprise.id))).body.abilities).toEqual(["direct_routing.set_up"]);
    expect((await master.get(url(enterprise.id))).body.abilities).toEqual([]);
    expect((await reseller.get(url(enterprise.id))).body.abilities).toEqual([]);
  });
});
