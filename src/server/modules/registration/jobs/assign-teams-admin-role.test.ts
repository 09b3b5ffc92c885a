/**
 * The Teams Administrator role: assigned during a real registration through both Microsoft rounds
 * with the Global Administrator's delegated token, then awaited by the job until our app-only
 * tokens carry it; against the emulator over HTTPS (msal-node, our Graph client). Nothing is mocked.
 */
import { eq, sql } from "drizzle-orm";
import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  createTestApp,
  realisticPropagation,
  signIn,
  type TestApp,
} from "../../../../../test/harness.ts";
import { enterprises } from "../../../db/schema/index.ts";
import { buildWorld, type World } from "../../../db/seed/factories.ts";
import { registerEnterprise } from "../registration.test-support.ts";
import { teamsAdministratorRoleId } from "../teams-admin-role.ts";
import { assignTeamsAdminRoleJob } from "./assign-teams-admin-role.job.ts";

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

const name = assignTeamsAdminRoleJob.name;

const enterpriseRow = async (id: string) =>
  (await t.services.db.select().from(enterprises).where(eq(enterprises.id, id)))[0]!;

/** Our service principal in the tenant and its Teams Administrator assignments. */
function teamsAdminAssignments(tenantId: string) {
  const state = t.emulator!.control.tenantState(tenantId);
  const sp = state.servicePrincipals.find((s) => s.appId === t.services.env.MS_CLIENT_ID);
  expect(sp).toBeDefined();
  return state.roleAssignments.filter(
    (a) => a.principalId === sp!.id && a.roleDefinitionId === teamsAdministratorRoleId,
  );
}

/** As if the retry's back-off had elapsed: the job is due now. */
async function backOffElapsed(jobId: string) {
  await t.services.db.execute(
    sql`UPDATE pgboss.job SET start_after = now() - interval '1 minute' WHERE name = ${name} AND id = ${jobId}`,
  );
}

/** The queued jobs of this enterprise, newest first. */
async function jobsOf(enterpriseId: string) {
  const result = (await t.services.db.execute(
    sql`SELECT id, state FROM pgboss.job WHERE name = ${name} AND data->>'enterpriseId' = ${enterpriseId} ORDER BY created_on DESC`,
  )) as unknown as { rows: { id: string; state: string }[] };
  return result.rows;
}

describe("Giving our service principal the Teams Administrator role", () => {
  it("is assigned during registration as the Global Administrator, then awaited by the job", async () => {
    const { enterpriseId, tenantId } = await registerEnterprise(t, world, reseller);
    // Made once, directory-wide, before the job ran.
    expect(teamsAdminAssignments(tenantId)).toEqual([
      expect.objectContaining({ directoryScopeId: "/" }),
    ]);
    expect(await enterpriseRow(enterpriseId)).toMatchObject({
      status: "registered",
      teamsAdminRoleState: "pending",
      teamsAdminRoleError: null,
      teamsAdminRoleAssignedAt: null,
    });
    expect(await jobsOf(enterpriseId)).toEqual([expect.objectContaining({ state: "created" })]);

    await t.services.drain(name);

    expect(await enterpriseRow(enterpriseId)).toMatchObject({
      teamsAdminRoleState: "assigned",
      teamsAdminRoleError: null,
      teamsAdminRoleAssignedAt: expect.any(Date),
    });
    expect(await jobsOf(enterpriseId)).toEqual([expect.objectContaining({ state: "completed" })]);
    expect(teamsAdminAssignments(tenantId)).toHaveLength(1);
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

  it("registers the enterprise and says why when Microsoft refuses the assignment", async () => {
    const { enterpriseId, tenantId } = await registerEnterprise(t, world, reseller, {
      beforeSignIn: (tenantId) =>
        t.emulator!.control.injectFault({
          method: "POST",
          path: "/v1\\.0/roleManagement/directory/roleAssignments",
          tenantId,
          status: 403,
        }),
    });
    expect(await enterpriseRow(enterpriseId)).toMatchObject({
      status: "registered",
      teamsAdminRoleState: "failed",
      teamsAdminRoleError: expect.stringMatching(/403/),
    });
    expect(teamsAdminAssignments(tenantId)).toEqual([]);
    // Nothing to wait for.
    expect(await jobsOf(enterpriseId)).toEqual([]);
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
    expect(await enterpriseRow(enterpriseId)).toMatchObject({
      teamsAdminRoleState: "pending",
      teamsAdminRoleError: null,
    });
  });

  it("is harmless when run again, once the role is assigned", async () => {
    const { enterpriseId, tenantId } = await registerEnterprise(t, world, reseller);
    await t.services.drain(name);
    const meta = { id: "again", attempt: 1, isLastAttempt: false };
    await assignTeamsAdminRoleJob.handle(t.services, { enterpriseId }, meta);
    expect(teamsAdminAssignments(tenantId)).toHaveLength(1);
    expect(await enterpriseRow(enterpriseId)).toMatchObject({ teamsAdminRoleState: "assigned" });
  });

  it("keeps the state pending with the error while tokens are refused, fails the job for a retry, then assigns", async () => {
    const { enterpriseId, tenantId } = await registerEnterprise(t, world, reseller);
    // Not a 5xx: msal itself holds back a request for a minute after one (server throttling).
    t.emulator!.control.injectFault({ path: "/oauth2/v2\\.0/token", tenantId, status: 401 });
    expect(await t.services.drain(name)).toBe(1);
    const failed = await enterpriseRow(enterpriseId);
    expect(failed).toMatchObject({
      teamsAdminRoleState: "pending",
      teamsAdminRoleAssignedAt: null,
    });
    expect(failed.teamsAdminRoleError).toMatch(/Microsoft/);
    const [job] = await jobsOf(enterpriseId);
    expect(job?.state).toBe("retry");

    t.emulator!.control.clearFaults();
    await backOffElapsed(job!.id);
    expect(await t.services.drain(name)).toBe(1);
    expect(await enterpriseRow(enterpriseId)).toMatchObject({
      teamsAdminRoleState: "assigned",
      teamsAdminRoleError: null,
      teamsAdminRoleAssignedAt: expect.any(Date),
    });
    expect((await jobsOf(enterpriseId))[0]?.state).toBe("completed");
  });

  it("is assigned only once fresh app-only tokens carry the role; meanwhile pending and retried", async () => {
    // Microsoft applies this assignment only after the job's in-attempt checks are over.
    t.emulator!.control.setPropagation({ roleAssignmentMs: 9_000 });
    let enterpriseId: string;
    let tenantId: string;
    try {
      ({ enterpriseId, tenantId } = await registerEnterprise(t, world, reseller));
      expect(await t.services.drain(name)).toBe(1);
    } finally {
      t.emulator!.control.setPropagation(realisticPropagation);
    }
    const waiting = await enterpriseRow(enterpriseId);
    expect(waiting).toMatchObject({
      teamsAdminRoleState: "pending",
      teamsAdminRoleAssignedAt: null,
    });
    expect(waiting.teamsAdminRoleError).toMatch(/not applied it/);
    const [job] = await jobsOf(enterpriseId);
    expect(job?.state).toBe("retry");

    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await backOffElapsed(job!.id);
    expect(await t.services.drain(name)).toBe(1);
    expect(teamsAdminAssignments(tenantId)).toHaveLength(1);
    expect(await enterpriseRow(enterpriseId)).toMatchObject({
      teamsAdminRoleState: "assigned",
      teamsAdminRoleError: null,
    });
    const token = await t.services.microsoft!.acquireAppToken(tenantId);
    expect(decodeJwt(token).wids).toContain(teamsAdministratorRoleId);
  });

  it("keeps retrying for over an hour of directory replication (pg-boss's exponential back-off)", () => {
    const { retryLimit, retryDelaySeconds, retryBackoff } = assignTeamsAdminRoleJob.options;
    expect(retryBackoff).toBe(true);
    // pg-boss waits retryDelay · 2^n / 2 · (1 + random) before retry n: the least it can wait.
    let least = 0;
    for (let n = 1; n <= retryLimit; n++) least += (retryDelaySeconds * 2 ** n) / 2;
    expect(least).toBeGreaterThan(3600);
    // And the first retries come quickly, for the common case of a short delay.
    expect(retryDelaySeconds).toBeLessThanOrEqual(30);
  });

  it("marks the role failed after the last attempt", async () => {
    const { enterpriseId, tenantId } = await registerEnterprise(t, world, reseller);
    t.emulator!.control.injectFault({ path: "/oauth2/v2\\.0/token", tenantId, status: 503 });
    await expect(
      assignTeamsAdminRoleJob.handle(
        t.services,
        { enterpriseId },
        { id: "last", attempt: 9, isLastAttempt: true },
      ),
    ).rejects.toThrow();
    expect(await enterpriseRow(enterpriseId)).toMatchObject({
      teamsAdminRoleState: "failed",
      teamsAdminRoleError: expect.stringMatching(/unavailable/i),
    });
  });
});
