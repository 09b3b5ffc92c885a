/**
 * Direct Routing against the Microsoft emulator over real HTTPS: Graph for the domains and the
 * activation users, the emulator's Teams voice origin for the voice objects, the emulator's DNS.
 * The emulator enforces Microsoft's rules (a route names only an activated derived trunk, usages
 * before routes, the Teams Administrator role), so a step that skips one fails here.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, createTestApp, signIn, type TestApp } from "../../../../test/harness.ts";
import { enterprises, events, workflowRuns, workflowSteps } from "../../db/schema/index.ts";
import { buildWorld, type World } from "../../db/seed/factories.ts";
import { checkDueWorkflowsJob } from "../../workflows/check.job.ts";
import { registered } from "../enterprise-portal/enterprise-portal.test-support.ts";
import { runWorkflows } from "../registration/registration.test-support.ts";
import { crashWorkerVariables } from "./direct-routing.test-support.ts";

let t: TestApp;
let world: World;
let reseller: Client;

beforeAll(async () => {
  t = await createTestApp({ microsoft: true });
  world = await buildWorld(t.services.db);
  for (const region of world.regions) t.emulator!.control.addCarrierTrunk(region.carrierFqdn);
  reseller = await signIn(t.app, world.a.resellerAdmin.username);
});
afterAll(() => t.close());

const url = (id: string) => `/api/v1/enterprises/${id}/direct-routing`;

/** A registered enterprise whose regions are the world's two, the second one primary. */
async function enterpriseWithTwoRegions(options: { pbxMusicOnHold?: boolean } = {}) {
  const r = await registered(t, world, reseller);
  // Direct Routing waits for the Teams Administrator role, which every Teams call needs.
  expect((await r.admin.post(url(r.enterpriseId))).status).toBe(409);
  await runWorkflows(t);
  const [first, second] = world.regions;
  const edit = await reseller.patch(`/api/v1/enterprises/${r.enterpriseId}`, {
    regionIds: [second!.id, first!.id],
    ...(options.pbxMusicOnHold !== undefined ? { pbxMusicOnHold: options.pbxMusicOnHold } : {}),
  });
  expect(edit.status).toBe(200);
  return { ...r, primary: second!, failover: first! };
}

/** Why a step of the enterprise's runs waited, in order, from the `workflow.step_waiting` events. */
async function waitReasons(enterpriseId: string, stepId: string): Promise<string[]> {
  const waits = await t.services.db
    .select({ payload: events.payload })
    .from(events)
    .where(and(eq(events.subjectId, enterpriseId), eq(events.name, "workflow.step_waiting")))
    .orderBy(events.id);
  return waits
    .map((w) => w.payload as { stepId: string; reason: string })
    .filter((p) => p.stepId === stepId)
    .map((p) => p.reason);
}

async function stepsOf(runId: string) {
  return t.services.db
    .select({
      id: workflowSteps.stepId,
      status: workflowSteps.status,
      attempt: workflowSteps.attempt,
      error: workflowSteps.error,
    })
    .from(workflowSteps)
    .where(eq(workflowSteps.runId, runId))
    .orderBy(workflowSteps.position);
}

describe("Direct Routing set-up", () => {
  it("adds, verifies and activates a derived trunk per region, then routes Teams calls to them in order", async () => {
    const { enterpriseId, tenantId, admin, primary, failover } = await enterpriseWithTwoRegions({
      pbxMusicOnHold: true,
    });
    const started = await admin.post(url(enterpriseId));
    expect(started.status).toBe(202);
    await runWorkflows(t);

    const view = (await admin.get(url(enterpriseId))).body;
    expect(view.run.steps.filter((s: { status: string }) => s.status === "failed")).toEqual([]);
    expect(view.run.status).toBe("succeeded");
    expect(view.run.steps.every((s: { status: string }) => s.status === "succeeded")).toBe(true);
    const [label] = view.routes[0].fqdn.split(".");
    expect(view.routes).toEqual([
      expect.objectContaining({
        regionId: primary.id,
        fqdn: `${label}.${primary.carrierFqdn}`,
        role: "primary",
        domainState: "activated",
        status: "active",
      }),
      expect.objectContaining({
        regionId: failover.id,
        fqdn: `${label}.${failover.carrierFqdn}`,
        role: "failover",
        domainState: "activated",
        status: "active",
      }),
    ]);
    const fqdns = view.routes.map((r: { fqdn: string }) => r.fqdn);

    // What Microsoft now holds, each object created exactly once.
    const control = t.emulator!.control;
    const domains = control.tenantState(tenantId).domains;
    for (const fqdn of fqdns)
      expect(domains).toContainEqual(expect.objectContaining({ id: fqdn, isVerified: true }));
    const voice = control.teamsVoice(tenantId);
    expect(voice.pstnUsages).toContain("Teamgate");
    expect(voice.voiceRoutes).toEqual([
      expect.objectContaining({
        identity: "Teamgate",
        onlinePstnGatewayList: fqdns,
        onlinePstnUsages: ["Teamgate"],
      }),
    ]);
    expect(voice.voiceRoutingPolicies).toEqual([
      expect.objectContaining({ identity: "Teamgate", onlinePstnUsages: ["Teamgate"] }),
    ]);
    expect(voice.tenantDialPlans).toEqual([expect.objectContaining({ identity: "Teamgate" })]);
    expect(voice.musicOnHoldEnabledType).toBe("Disabled");
    for (const count of Object.values(voice.createCalls)) expect(count).toBeLessThanOrEqual(1);
    expect(voice.createCalls).toMatchObject({
      voiceRoute: 1,
      voiceRoutingPolicy: 1,
      tenantDialPlan: 1,
    });

    // The enterprise is active, for its reseller too, and the activity says so.
    const [row] = await t.services.db
      .select()
      .from(enterprises)
      .where(eq(enterprises.id, enterpriseId));
    expect(row?.status).toBe("active");
    expect((await reseller.get(`/api/v1/enterprises/${enterpriseId}`)).body.status).toBe("active");
    const activated = await t.services.db
      .select({ payload: events.payload })
      .from(events)
      .where(
        and(
          eq(events.subjectId, enterpriseId),
          eq(events.name, "enterprise.direct_routing_activated"),
        ),
      );
    expect(activated).toEqual([
      { payload: { before: { status: "registered" }, after: { status: "active", fqdns } } },
    ]);
    // Nothing left to set up.
    expect((await admin.post(url(enterpriseId))).status).toBe(409);
  });

  it("waits until Microsoft's resolvers see the TXT records, then verifies", async () => {
    const control = t.emulator!.control;
    control.setDnsPropagationDelay(2_000);
    try {
      const { enterpriseId, admin } = await enterpriseWithTwoRegions();
      await admin.post(url(enterpriseId));
      await runWorkflows(t);
      const view = (await admin.get(url(enterpriseId))).body;
      expect(view.run.status).toBe("succeeded");
      const verify = view.run.steps.find(
        (s: { id: string }) => s.id === "direct-routing.verify-domains",
      );
      expect(verify.attempt).toBeGreaterThan(1);
      const reasons = await waitReasons(enterpriseId, "direct-routing.verify-domains");
      // Our DNS answered at once; Microsoft had not seen the records yet.
      expect(reasons[0]).toMatch(/^Waiting for Microsoft to see /);
    } finally {
      control.setDnsPropagationDelay(0);
    }
  });

  it("waits while Microsoft activates the domains, then completes", async () => {
    const control = t.emulator!.control;
    control.setDirectRoutingActivationDelay(2_500);
    try {
      const { enterpriseId, admin } = await enterpriseWithTwoRegions();
      await admin.post(url(enterpriseId));
      await runWorkflows(t);
      const view = (await admin.get(url(enterpriseId))).body;
      expect(view.run.status).toBe("succeeded");
      const waiting = view.run.steps.find(
        (s: { id: string }) => s.id === "direct-routing.wait-activation",
      );
      expect(waiting.attempt).toBeGreaterThan(1);
      const reasons = await waitReasons(enterpriseId, "direct-routing.wait-activation");
      expect(reasons.length).toBeGreaterThan(0);
      expect(reasons[0]).toContain("Microsoft is activating");
    } finally {
      control.setDirectRoutingActivationDelay(0);
    }
  });

  it("rides out 429 and 503 from Teams mid-way, and creates nothing twice", async () => {
    const control = t.emulator!.control;
    const { enterpriseId, tenantId, admin } = await enterpriseWithTwoRegions();
    control.injectFault({ path: "/teams-voice/.*/voiceRoutes", status: 429, times: 2, tenantId });
    control.injectFault({
      path: "/teams-voice/.*/tenantDialPlans",
      status: 503,
      times: 2,
      tenantId,
    });
    try {
      await admin.post(url(enterpriseId));
      await runWorkflows(t);
    } finally {
      control.clearFaults();
    }
    const view = (await admin.get(url(enterpriseId))).body;
    expect(view.run.status).toBe("succeeded");
    const voice = control.teamsVoice(tenantId);
    expect(voice.createCalls).toMatchObject({
      voiceRoute: 1,
      voiceRoutingPolicy: 1,
      tenantDialPlan: 1,
    });
  });

  it("fails clearly without a free Teams licence, and Retry continues once there is one", async () => {
    const control = t.emulator!.control;
    const { enterpriseId, tenantId, admin } = await enterpriseWithTwoRegions();
    control.setSkuUnits(tenantId, "teams", 1);
    control.setSkuUnits(tenantId, "teamsPhone", 1);
    await admin.post(url(enterpriseId));
    await runWorkflows(t);
    const failed = (await admin.get(url(enterpriseId))).body;
    expect(failed.run.status).toBe("failed");
    const step = failed.run.steps.find((s: { status: string }) => s.status === "failed");
    expect(step.id).toBe("direct-routing.activation-users");
    expect(step.error).toContain("no free Microsoft Teams licence");
    expect(failed.abilities).toEqual(["direct_routing.retry", "direct_routing.remove"]);

    control.setSkuUnits(tenantId, "teams", 25);
    expect((await admin.post(url(enterpriseId))).status).toBe(202);
    await runWorkflows(t);
    const done = (await admin.get(url(enterpriseId))).body;
    expect(done.run.status).toBe("succeeded");
    expect((await stepsOf(done.run.id)).map((s) => s.status)).not.toContain("failed");
  });
});

describe("Removing Direct Routing", () => {
  it("undoes the set-up, last step first: nothing it created is left in the tenant or in DNS", async () => {
    const control = t.emulator!.control;
    const { enterpriseId, tenantId, admin } = await enterpriseWithTwoRegions({
      pbxMusicOnHold: true,
    });
    // What the tenant's global calling policy said before Teamgate turned its music on hold off.
    const before = control.teamsVoice(tenantId).musicOnHoldEnabledType;
    await admin.post(url(enterpriseId));
    await runWorkflows(t);
    const set = (await admin.get(url(enterpriseId))).body;
    expect(set.abilities).toEqual(["direct_routing.check", "direct_routing.remove"]);
    const fqdns: string[] = set.routes.map((r: { fqdn: string }) => r.fqdn);
    const texts = fqdns.map((fqdn) => control.txtValues(fqdn));
    expect(texts.every((values) => values.length === 1)).toBe(true);

    const removing = await admin.delete(url(enterpriseId));
    expect(removing.status).toBe(202);
    expect(removing.body.run.status).toBe("undoing");
    await runWorkflows(t);

    const view = (await admin.get(url(enterpriseId))).body;
    expect(view.run.status).toBe("undone");
    expect(view.routes).toEqual([]);
    expect(view.abilities).toEqual(["direct_routing.set_up"]);
    const voice = control.teamsVoice(tenantId);
    expect(voice).toMatchObject({
      voiceRoutes: [],
      voiceRoutingPolicies: [],
      tenantDialPlans: [],
      musicOnHoldEnabledType: before,
    });
    expect(voice.pstnUsages).not.toContain("Teamgate");
    const domains = control.tenantState(tenantId).domains.map((d) => d.id);
    for (const fqdn of fqdns) {
      expect(domains).not.toContain(fqdn);
      expect(control.txtValues(fqdn)).toEqual([]);
      expect(
        await t.services.microsoft!.findUserByPrincipalName(
          tenantId,
          `teamgate-activation@${fqdn}`,
        ),
      ).toBeNull();
    }
    const [row] = await t.services.db
      .select()
      .from(enterprises)
      .where(eq(enterprises.id, enterpriseId));
    expect(row?.status).toBe("registered");
    // Nothing left to remove; it can be set up again.
    expect((await admin.delete(url(enterpriseId))).status).toBe(409);
  });
});

describe("Changes after the set-up", () => {
  it("adds a region to the route in place, then retires a region taken off, leaving nothing of it", async () => {
    const control = t.emulator!.control;
    const { enterpriseId, tenantId, admin, primary, failover } = await enterpriseWithTwoRegions();
    // Set up with the primary region alone.
    expect(
      (await reseller.patch(`/api/v1/enterprises/${enterpriseId}`, { regionIds: [primary.id] }))
        .status,
    ).toBe(200);
    await admin.post(url(enterpriseId));
    await runWorkflows(t);
    const one = (await admin.get(url(enterpriseId))).body;
    expect(one.run.status).toBe("succeeded");
    expect(one.pendingChanges).toEqual([]);
    const [primaryFqdn] = one.routes.map((r: { fqdn: string }) => r.fqdn);
    const label = primaryFqdn.split(".")[0];
    const failoverFqdn = `${label}.${failover.carrierFqdn}`;

    // The failover region is added: the change waits to be applied.
    await reseller.patch(`/api/v1/enterprises/${enterpriseId}`, {
      regionIds: [primary.id, failover.id],
    });
    const pending = (await admin.get(url(enterpriseId))).body;
    expect(pending.pendingChanges).toEqual(["The SBC regions changed"]);
    expect(pending.abilities).toContain("direct_routing.set_up");
    const overview = (await admin.get(`/api/v1/enterprises/${enterpriseId}/overview`)).body;
    expect(
      overview.actionItems.find((item: { id: string }) => item.id === "direct_routing"),
    ).toMatchObject({
      title: "Apply the changes to Direct Routing",
      state: "todo",
      detail: "The SBC regions changed: apply the changes on the Direct Routing card.",
    });
    const applied = await admin.post(url(enterpriseId));
    expect(applied.status).toBe(202);
    expect(applied.body.run.id).not.toBe(one.run.id);
    await runWorkflows(t);
    const two = (await admin.get(url(enterpriseId))).body;
    expect(two.run.status).toBe("succeeded");
    expect(two.pendingChanges).toEqual([]);
    expect(two.routes.map((r: { fqdn: string; role: string }) => [r.fqdn, r.role])).toEqual([
      [primaryFqdn, "primary"],
      [failoverFqdn, "failover"],
    ]);
    let voice = control.teamsVoice(tenantId);
    expect(voice.voiceRoutes[0]?.onlinePstnGatewayList).toEqual([primaryFqdn, failoverFqdn]);
    // Extended in place: nothing of Teams voice created a second time.
    expect(voice.createCalls).toMatchObject({
      pstnUsage: 1,
      voiceRoute: 1,
      voiceRoutingPolicy: 1,
      tenantDialPlan: 1,
    });
    expect((await admin.post(url(enterpriseId))).status).toBe(409);

    // The primary region is taken off: the failover region becomes primary and the other's
    // domain, TXT record and activation user leave the tenant.
    await reseller.patch(`/api/v1/enterprises/${enterpriseId}`, { regionIds: [failover.id] });
    await admin.post(url(enterpriseId));
    await runWorkflows(t);
    const three = (await admin.get(url(enterpriseId))).body;
    expect(three.run.status).toBe("succeeded");
    expect(three.routes.map((r: { fqdn: string; role: string }) => [r.fqdn, r.role])).toEqual([
      [failoverFqdn, "primary"],
    ]);
    voice = control.teamsVoice(tenantId);
    expect(voice.voiceRoutes[0]?.onlinePstnGatewayList).toEqual([failoverFqdn]);
    expect(control.tenantState(tenantId).domains.map((d) => d.id)).not.toContain(primaryFqdn);
    expect(control.txtValues(primaryFqdn)).toEqual([]);
    expect(
      await t.services.microsoft!.findUserByPrincipalName(
        tenantId,
        `teamgate-activation@${primaryFqdn}`,
      ),
    ).toBeNull();
    // Nothing retired is reported as drift.
    await admin.post(`${url(enterpriseId)}/check`);
    await runChecks();
    expect(drifted((await admin.get(url(enterpriseId))).body)).toEqual({});
  });

  it("turns Teams music on hold off and back to the tenant's own as the PBX setting changes", async () => {
    const control = t.emulator!.control;
    const { enterpriseId, tenantId, admin } = await enterpriseWithTwoRegions({
      pbxMusicOnHold: false,
    });
    control.adminCenterEdit(tenantId, { kind: "setMusicOnHold", value: "UserOverride" });
    await admin.post(url(enterpriseId));
    await runWorkflows(t);
    expect(control.teamsVoice(tenantId).musicOnHoldEnabledType).toBe("UserOverride");

    await reseller.patch(`/api/v1/enterprises/${enterpriseId}`, { pbxMusicOnHold: true });
    expect((await admin.get(url(enterpriseId))).body.pendingChanges).toEqual([
      "The PBX's music on hold was turned on",
    ]);
    await admin.post(url(enterpriseId));
    await runWorkflows(t);
    expect(control.teamsVoice(tenantId).musicOnHoldEnabledType).toBe("Disabled");

    await reseller.patch(`/api/v1/enterprises/${enterpriseId}`, { pbxMusicOnHold: false });
    expect((await admin.get(url(enterpriseId))).body.pendingChanges).toEqual([
      "The PBX's music on hold was turned off",
    ]);
    await admin.post(url(enterpriseId));
    await runWorkflows(t);
    expect(control.teamsVoice(tenantId).musicOnHoldEnabledType).toBe("UserOverride");
    expect((await admin.get(url(enterpriseId))).body.pendingChanges).toEqual([]);
  });
});

/** Runs the queued read-backs (what the worker does after "Check now" or the hourly tick). */
async function runChecks(): Promise<void> {
  await t.services.drain("workflows.check");
}

interface StepView {
  id: string;
  status: string;
  attempt: number;
  drift: string[];
}

const drifted = (view: { run: { steps: StepView[] } }) =>
  Object.fromEntries(view.run.steps.filter((s) => s.drift.length > 0).map((s) => [s.id, s.drift]));

async function eventsNamed(enterpriseId: string, name: string) {
  const rows = await t.services.db
    .select({ payload: events.payload })
    .from(events)
    .where(and(eq(events.subjectId, enterpriseId), eq(events.name, name)))
    .orderBy(events.id);
  return rows.map((r) => r.payload as Record<string, unknown>);
}

describe("Drift", () => {
  async function setUp(options: { pbxMusicOnHold?: boolean } = {}) {
    const r = await enterpriseWithTwoRegions(options);
    await r.admin.post(url(r.enterpriseId));
    await runWorkflows(t);
    const view = (await r.admin.get(url(r.enterpriseId))).body;
    expect(view.run.status).toBe("succeeded");
    return { ...r, fqdns: view.routes.map((x: { fqdn: string }) => x.fqdn) as string[] };
  }

  it("finds objects edited or deleted in the admin centers, and Repair runs only the steps that differ", async () => {
    const control = t.emulator!.control;
    const { enterpriseId, tenantId, admin, fqdns } = await setUp({ pbxMusicOnHold: true });

    // A check of an untouched tenant finds nothing and records nothing.
    const asked = await admin.post(`${url(enterpriseId)}/check`);
    expect(asked.status).toBe(202);
    expect(asked.body.run.checking).toBe(true);
    expect(asked.body.abilities).not.toContain("direct_routing.check");
    await runChecks();
    const clean = (await admin.get(url(enterpriseId))).body;
    expect(clean.run.checking).toBe(false);
    expect(clean.run.checkedAt).not.toBeNull();
    expect(drifted(clean)).toEqual({});
    expect(clean.abilities).not.toContain("direct_routing.repair");
    expect((await admin.post(`${url(enterpriseId)}/repair`)).status).toBe(409);

    // An administrator deletes the voice route and switches Teams music on hold back on.
    control.adminCenterEdit(tenantId, { kind: "removeVoiceRoute", identity: "Teamgate" });
    control.adminCenterEdit(tenantId, { kind: "setMusicOnHold", value: "Enabled" });
    await admin.post(`${url(enterpriseId)}/check`);
    await runChecks();
    const found = (await admin.get(url(enterpriseId))).body;
    expect(found.run.status).toBe("succeeded");
    expect(drifted(found)).toEqual({
      "direct-routing.voice-route": ["The voice route Teamgate is missing"],
      "direct-routing.music-on-hold": [
        "Teams plays its own music on hold again (global calling policy: Enabled), not the PBX's",
      ],
    });
    expect(found.abilities).toEqual([
      "direct_routing.repair",
      "direct_routing.check",
      "direct_routing.remove",
    ]);
    // The dashboard's action item asks for the repair.
    const overview = (await admin.get(`/api/v1/enterprises/${enterpriseId}/overview`)).body;
    expect(
      overview.actionItems.find((item: { id: string }) => item.id === "direct_routing"),
    ).toMatchObject({
      title: "Repair Direct Routing",
      state: "todo",
      detail:
        "The tenant differs from the set-up (2 found by the last check): repair it on the Direct Routing card.",
    });
    // The activity records what was found once, not at every check.
    await admin.post(`${url(enterpriseId)}/check`);
    await runChecks();
    const detected = await eventsNamed(enterpriseId, "workflow.drift_detected");
    expect(detected).toHaveLength(1);
    expect(detected[0]?.drift).toEqual([
      {
        stepId: "direct-routing.voice-route",
        differences: ["The voice route Teamgate is missing"],
      },
      {
        stepId: "direct-routing.music-on-hold",
        differences: [expect.stringContaining("music on hold")],
      },
    ]);

    const attemptsBefore = Object.fromEntries(
      found.run.steps.map((s: StepView) => [s.id, s.attempt]),
    );
    const repairing = await admin.post(`${url(enterpriseId)}/repair`);
    expect(repairing.status).toBe(202);
    expect(repairing.body.run.status).toBe("running");
    const succeededBefore = (await eventsNamed(enterpriseId, "workflow.step_succeeded")).length;
    await runWorkflows(t);

    const repaired = (await admin.get(url(enterpriseId))).body;
    expect(repaired.run.status).toBe("succeeded");
    expect(drifted(repaired)).toEqual({});
    // Only the two steps ran again; the others kept their attempts.
    const rerun = (await eventsNamed(enterpriseId, "workflow.step_succeeded"))
      .slice(succeededBefore)
      .map((e) => e.stepId);
    expect(rerun).toEqual(["direct-routing.voice-route", "direct-routing.music-on-hold"]);
    for (const step of repaired.run.steps as StepView[])
      if (!rerun.includes(step.id)) expect(step.attempt).toBe(attemptsBefore[step.id]);
    const voice = control.teamsVoice(tenantId);
    expect(voice.voiceRoutes).toEqual([
      expect.objectContaining({ identity: "Teamgate", onlinePstnGatewayList: fqdns }),
    ]);
    expect(voice.musicOnHoldEnabledType).toBe("Disabled");
    expect(voice.createCalls.voiceRoute).toBe(2);
    expect(await eventsNamed(enterpriseId, "workflow.repair_started")).toEqual([
      expect.objectContaining({
        stepIds: ["direct-routing.voice-route", "direct-routing.music-on-hold"],
      }),
    ]);

    // The next check finds the tenant as set up again; the repair already said so.
    await admin.post(`${url(enterpriseId)}/check`);
    await runChecks();
    expect(drifted((await admin.get(url(enterpriseId))).body)).toEqual({});
    expect(await eventsNamed(enterpriseId, "workflow.drift_detected")).toHaveLength(1);
    expect(await eventsNamed(enterpriseId, "workflow.drift_cleared")).toEqual([]);
  });

  it("corrects a route whose trunks were edited in place, without recreating it; a fix by hand clears the drift", async () => {
    const control = t.emulator!.control;
    const { enterpriseId, tenantId, admin, fqdns } = await setUp();
    control.adminCenterEdit(tenantId, {
      kind: "setVoiceRouteGateways",
      identity: "Teamgate",
      gateways: [fqdns[1]!, fqdns[0]!],
    });
    const reversed = {
      "direct-routing.voice-route": [
        `The voice route Teamgate sends calls to ${fqdns[1]}, ${fqdns[0]} instead of ${fqdns[0]}, ${fqdns[1]}`,
      ],
    };
    await admin.post(`${url(enterpriseId)}/check`);
    await runChecks();
    expect(drifted((await admin.get(url(enterpriseId))).body)).toEqual(reversed);

    // Put back by hand: the next check finds nothing and the activity says the differences went.
    control.adminCenterEdit(tenantId, {
      kind: "setVoiceRouteGateways",
      identity: "Teamgate",
      gateways: fqdns,
    });
    await admin.post(`${url(enterpriseId)}/check`);
    await runChecks();
    expect(drifted((await admin.get(url(enterpriseId))).body)).toEqual({});
    expect(await eventsNamed(enterpriseId, "workflow.drift_cleared")).toHaveLength(1);

    control.adminCenterEdit(tenantId, {
      kind: "setVoiceRouteGateways",
      identity: "Teamgate",
      gateways: [fqdns[1]!, fqdns[0]!],
    });
    await admin.post(`${url(enterpriseId)}/check`);
    await runChecks();
    expect(drifted((await admin.get(url(enterpriseId))).body)).toEqual(reversed);
    await admin.post(`${url(enterpriseId)}/repair`);
    await runWorkflows(t);
    const voice = control.teamsVoice(tenantId);
    expect(voice.voiceRoutes[0]?.onlinePstnGatewayList).toEqual(fqdns);
    expect(voice.createCalls.voiceRoute).toBe(1);
  });

  it("finds a removed domain and its activation user, and Repair adds, verifies and activates it again", async () => {
    const control = t.emulator!.control;
    const { enterpriseId, tenantId, admin, fqdns } = await setUp();
    const fqdn = fqdns[1]!;
    const upn = `teamgate-activation@${fqdn}`;
    const user = await t.services.microsoft!.findUserByPrincipalName(tenantId, upn);
    control.removeUser(tenantId, user!.id);
    control.adminCenterEdit(tenantId, { kind: "removeDomain", fqdn });

    // The hourly tick queues the read-back of every finished set-up not checked lately.
    await checkDueWorkflowsJob.handle(
      t.services,
      {},
      { id: "tick", attempt: 1, isLastAttempt: true },
    );
    await runChecks();
    const found = (await admin.get(url(enterpriseId))).body;
    expect(drifted(found)).toEqual({
      "direct-routing.add-domains": [`The domain ${fqdn} is no longer in the tenant`],
      "direct-routing.publish-txt": [
        `${fqdn} must be verified again: its new record is not published`,
      ],
      "direct-routing.verify-domains": [`The domain ${fqdn} is not verified`],
      "direct-routing.activation-users": [`The user ${upn} that activates ${fqdn} is gone`],
      "direct-routing.wait-activation": [`Microsoft no longer serves ${fqdn} for Direct Routing`],
    });

    await admin.post(`${url(enterpriseId)}/repair`);
    await runWorkflows(t);
    const repaired = (await admin.get(url(enterpriseId))).body;
    expect(repaired.run.status).toBe("succeeded");
    expect(drifted(repaired)).toEqual({});
    expect(control.tenantState(tenantId).domains).toContainEqual(
      expect.objectContaining({ id: fqdn, isVerified: true }),
    );
    expect(control.getDomainActivation(tenantId, fqdn).status).toBe("active");
    const again = await t.services.microsoft!.findUserByPrincipalName(tenantId, upn);
    expect(again?.id).not.toBe(user!.id);
    expect(again?.licenseSkuIds.length).toBe(1);
  });

  it("keeps what it found when Microsoft refuses the read-back, and says why", async () => {
    const control = t.emulator!.control;
    const { enterpriseId, tenantId, admin } = await setUp();
    control.adminCenterEdit(tenantId, { kind: "removeTenantDialPlan", identity: "Teamgate" });
    await admin.post(`${url(enterpriseId)}/check`);
    await runChecks();
    const before = drifted((await admin.get(url(enterpriseId))).body);
    expect(Object.keys(before)).toEqual(["direct-routing.dial-plan"]);

    const fault = control.injectFault({ path: "/teams-voice/", status: 403, tenantId });
    try {
      await admin.post(`${url(enterpriseId)}/check`);
      await runChecks();
    } finally {
      control.clearFaults();
    }
    const view = (await admin.get(url(enterpriseId))).body;
    expect(fault).toBeTruthy();
    expect(view.run.checking).toBe(false);
    expect(view.run.checkError).toMatch(/.+/);
    expect(drifted(view)).toEqual(before);
  });

  it("checks and repairs only a finished set-up", async () => {
    const { enterpriseId, admin } = await enterpriseWithTwoRegions();
    expect((await admin.post(`${url(enterpriseId)}/check`)).status).toBe(409);
    await admin.post(url(enterpriseId));
    const running = await admin.post(`${url(enterpriseId)}/repair`);
    expect(running.status).toBe(409);
    expect(running.body.message).toMatch(/not set up yet/);
    await runWorkflows(t);
  });
});

describe.skipIf(process.env.TEST_DATABASE_URL === undefined)(
  "Direct Routing after a worker is killed (PostgreSQL)",
  () => {
    it("is completed by another worker, and no Microsoft object is created twice", async () => {
      const control = t.emulator!.control;
      const { enterpriseId, tenantId, admin } = await enterpriseWithTwoRegions();
      // Microsoft creates the voice route, then is slow to answer: the worker dies meanwhile.
      control.injectFault({
        method: "POST",
        path: "/teams-voice/[^/]+/voiceRoutes$",
        answerDelayMs: 10_000,
        times: 1,
        tenantId,
      });
      const started = await admin.post(url(enterpriseId));
      const runId = started.body.run.id as string;
      const [{ db }] = (
        (await t.services.db.execute(sql`SELECT current_database() AS db`)) as unknown as {
          rows: [{ db: string }];
        }
      ).rows;
      const databaseUrl = new URL(process.env.TEST_DATABASE_URL!);
      databaseUrl.pathname = `/${db}`;
      const worker = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          fileURLToPath(new URL("./direct-routing.test-support.ts", import.meta.url)),
          databaseUrl.toString(),
          runId,
        ],
        {
          env: {
            ...process.env,
            ...Object.fromEntries(crashWorkerVariables.map((n) => [n, t.services.env[n] ?? ""])),
          },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stderr = "";
      worker.stderr.on("data", (chunk) => {
        stderr += String(chunk);
      });
      const exited = new Promise((resolve) => worker.on("exit", resolve));
      // Until the worker is inside the voice route's step, with the creation under way.
      for (let i = 0; ; i++) {
        const [step] = await t.services.db
          .select({ status: workflowSteps.status })
          .from(workflowSteps)
          .where(
            and(
              eq(workflowSteps.runId, runId),
              eq(workflowSteps.stepId, "direct-routing.voice-route"),
            ),
          );
        if (step?.status === "running") break;
        if (worker.exitCode !== null || i > 600)
          throw new Error(`the worker did not get there: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // Its request is then in Microsoft's hands (the GET that looks first, then the POST).
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      worker.kill("SIGKILL");
      await exited;
      // Microsoft finishes what it was asked; the dead worker never heard the answer.
      await expect
        .poll(() => control.teamsVoice(tenantId).voiceRoutes.length, { timeout: 10_000 })
        .toBe(1);
      const [dead] = await t.services.db
        .select({ status: workflowSteps.status })
        .from(workflowSteps)
        .where(
          and(
            eq(workflowSteps.runId, runId),
            eq(workflowSteps.stepId, "direct-routing.voice-route"),
          ),
        );
      expect(dead?.status).toBe("running");

      // The dead worker's lease runs out; a worker of this process resumes the run.
      await new Promise((resolve) => setTimeout(resolve, 3_200));
      await t.services.db
        .update(workflowRuns)
        .set({ leaseHeartbeatAt: new Date(Date.now() - 60 * 60_000) })
        .where(eq(workflowRuns.id, runId));
      await runWorkflows(t);
      const view = (await admin.get(url(enterpriseId))).body;
      expect(view.run.status).toBe("succeeded");
      const voiceRoute = view.run.steps.find(
        (s: { id: string }) => s.id === "direct-routing.voice-route",
      );
      expect(voiceRoute.attempt).toBe(2);
      const voice = control.teamsVoice(tenantId);
      expect(voice.createCalls).toEqual({
        pstnUsage: 1,
        voiceRoute: 1,
        voiceRoutingPolicy: 1,
        tenantDialPlan: 1,
      });
      const domains = control
        .tenantState(tenantId)
        .domains.filter((d) => view.routes.some((r: { fqdn: string }) => r.fqdn === d.id));
      expect(domains).toHaveLength(2);
    }, 90_000);
  },
);
