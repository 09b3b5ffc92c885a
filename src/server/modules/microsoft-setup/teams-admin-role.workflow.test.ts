/**
 * The Teams Administrator role: assigned during a real registration through both Microsoft rounds
 * with the Global Administrator's delegated token, then its workflow waits until our app-only
 * tokens carry it; against the emulator over HTTPS (msal-node, our Graph client). Nothing is mocked.
 */
import { eq } from "drizzle-orm";
import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  createTestApp,
  realisticPropagation,
  signIn,
  type TestApp,
} from "../../../../test/harness.ts";
import { enterprises } from "../../db/schema/index.ts";
import { buildWorld, type World } from "../../db/seed/factories.ts";
import { teamsAdministratorRoleId } from "../../integrations/microsoft/config.ts";
import { latestRun } from "../../workflows/engine.ts";
import { registerEnterprise, runWorkflows } from "../registration/registration.test-support.ts";
import {
  roleChecks,
  roleCheckWaitSeconds,
  teamsAdminRoleWorkflow,
} from "./teams-admin-role.workflow.ts";

let t: TestApp;
let world: World;
let reseller: Client;

beforeAll(async () => {
  t = await createTestApp({ microsoft: true });
  world = await buildWorld(t.services.db);
  reseller = await signIn(t.app, world.a.resellerAdmin.username);
});
afterEach(() => t.emulator!.control.clearFaults());
afterAll(() => t.close());

const enterpriseRow = async (id: string) =>
  (await t.services.db.select().from(enterprises).where(eq(enterprises.id, id)))[0]!;

/** The role's latest run: its status and each step's status. */
async function roleRun(enterpriseId: string) {
  const state = await latestRun(t.services.db, teamsAdminRoleWorkflow, enterpriseId);
  expect(state).not.toBeNull();
  return {
    status: state!.run.status,
    runId: state!.run.id,
    steps: state!.steps.map((s) => ({
      id: s.stepId,
      status: s.status,
      error: s.error,
      waitReason: s.waitReason,
    })),
  };
}

/** Our service principal in the tenant and its Teams Administrator assignments. */
function teamsAdminAssignments(tenantId: string) {
  const state = t.emulator!.control.tenantState(tenantId);
  const sp = state.servicePrincipals.find((s) => s.appId === t.services.env.MS_CLIENT_ID);
  expect(sp).toBeDefined();
  return state.roleAssignments.filter(
    (a) => a.principalId === sp!.id && a.roleDefinitionId === teamsAdministratorRoleId,
  );
}

describe("Giving our service principal the Teams Administrator role", () => {
  it("is assigned during registration as the Global Administrator, then its workflow sees it in effect", async () => {
    const { enterpriseId, tenantId } = await registerEnterprise(t, world, reseller);
    // Made once, directory-wide, before any worker ran.
    expect(teamsAdminAssignments(tenantId)).toEqual([
      expect.objectContaining({ directoryScopeId: "/" }),
    ]);
    expect((await enterpriseRow(enterpriseId)).status).toBe("registered");
    expect(await roleRun(enterpriseId)).toMatchObject({
      status: "running",
      steps: [
        { id: "teams-admin-role.assign", status: "pending" },
        { id: "teams-admin-role.effective", status: "pending" },
      ],
    });

    await runWorkflows(t);

    expect(await roleRun(enterpriseId)).toMatchObject({
      status: "succeeded",
      steps: [
        { id: "teams-admin-role.assign", status: "succeeded" },
        { id: "teams-admin-role.effective", status: "succeeded" },
      ],
    });
    expect(teamsAdminAssignments(tenantId)).toHaveLength(1);
    const token = await t.services.microsoft!.acquireAppToken(tenantId, { fresh: true });
    expect(decodeJwt(token).wids).toContain(teamsAdministratorRoleId);
  });

  it("needs no application permission that writes or reads the directory's roles and applications", async () => {
    const { enterpriseId, tenantId } = await registerEnterprise(t, world, reseller);
    const standing = ["RoleManagement.ReadWrite.Directory", "Application.Read.All"];
    const granted = (await enterpriseRow(enterpriseId)).grantedPermissions;
    for (const permission of standing) expect(granted).not.toContain(permission);
    const consent =
      t.emulator!.control.tenantState(tenantId).consents[t.services.env.MS_CLIENT_ID!];
    for (const permission of standing) expect(consent?.appRoles).not.toContain(permission);
    const roles = decodeJwt(await t.services.microsoft!.acquireAppToken(tenantId, { fresh: true }))
      .roles as string[];
    for (const permission of standing) expect(roles).not.toContain(permission);
    // Yet the role is there: the Global Administrator's delegated sign-in made the assignment.
    expect(teamsAdminAssignments(tenantId)).toHaveLength(1);
  });

  it("registers the enterprise and fails the role's first step, saying why and what to do, when Microsoft refuses", async () => {
    const { enterpriseId, tenantId } = await registerEnterprise(t, world, reseller, {
      beforeSignIn: (tenantId) =>
        t.emulator!.control.injectFault({
          method: "POST",
          path: "/v1\\.0/roleManagement/directory/roleAssignments",
          tenantId,
          status: 403,
        }),
    });
    expect((await enterpriseRow(enterpriseId)).status).toBe("registered");
    expect(teamsAdminAssignments(tenantId)).toEqual([]);
    await runWorkflows(t);
    const run = await roleRun(enterpriseId);
    expect(run.status).toBe("failed");
    expect(run.steps[0]).toMatchObject({ status: "failed" });
    expect(run.steps[0]!.error).toMatch(/403/);
    expect(run.steps[0]!.error).toMatch(/Microsoft Entra admin center.*then retry/);
    expect(run.steps[1]).toMatchObject({ status: "pending" });
  });

  it("asks again on the next poll while Graph is briefly unavailable", async () => {
    const { enterpriseId, tenantId } = await registerEnterprise(t, world, reseller, {
      // One poll's request and its retries.
      beforeSignIn: (tenantId) =>
        t.emulator!.control.injectFault({
          path: "/v1\\.0/servicePrincipals",
          tenantId,
          status: 503,
          times: 3,
        }),
    });
    expect(teamsAdminAssignments(tenantId)).toHaveLength(1);
    await runWorkflows(t);
    expect(await roleRun(enterpriseId)).toMatchObject({ status: "succeeded" });
  });

  it("waits, saying why, while Microsoft has not applied the role, and checks again later", async () => {
    // Microsoft applies this assignment only well after the first check.
    t.emulator!.control.setPropagation({ roleAssignmentMs: 60_000 });
    let enterpriseId: string;
    try {
      ({ enterpriseId } = await registerEnterprise(t, world, reseller));
      await runWorkflows(t, { waitsElapse: false });
    } finally {
      t.emulator!.control.setPropagation(realisticPropagation);
    }
    expect(await roleRun(enterpriseId)).toMatchObject({
      status: "waiting",
      steps: [
        { status: "succeeded" },
        {
          status: "waiting",
          waitReason: "Microsoft has not applied the role to this platform's access yet",
        },
      ],
    });
  });

  it("checks for over an hour, starting quickly, before it gives up", () => {
    let waited = 0;
    for (let attempt = 1; attempt < roleChecks; attempt++) waited += roleCheckWaitSeconds(attempt);
    expect(waited).toBeGreaterThan(3600);
    expect(roleCheckWaitSeconds(1)).toBeLessThanOrEqual(30);
  });
});
