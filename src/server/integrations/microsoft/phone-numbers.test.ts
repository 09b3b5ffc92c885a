/**
 * The Microsoft port's Teams phone number calls against the emulator over real HTTPS: Graph's
 * asynchronous number assignment (202 + the operation's Location), the operation polled on the
 * client's own Graph base, the assignment read back, throttling retried.
 */
import { randomUUID } from "node:crypto";
import { Response } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caught } from "../../../../test/caught.ts";
import { type Emulator, startEmulator } from "../../../emulator/index.ts";
import { parseEnv } from "../../env.ts";
import { microsoftConfigFromEnv, requestedAppPermissions } from "./config.ts";
import { createGraphClient } from "./graph.ts";
import { createHttpTransport, type HttpTransport } from "./http.ts";
import { createMicrosoft, type Microsoft } from "./port.ts";
import {
  createTenantAdmin,
  type PhoneNumberOperation,
  phoneNumberOperationId,
} from "./tenant-admin.ts";

const clientId = randomUUID();
const limitedClientId = randomUUID();
const clientSecret = "phone-numbers-secret";
const retry = { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100, maxTotalMs: 5_000 };

let emulator: Emulator;
let microsoft: Microsoft;
let limited: Microsoft;
let tenantId: string;
let phoneUserId: string;
let plainUserId: string;
/** Method and path of every request that reached the Graph origin. */
const graphRequests: string[] = [];

function microsoftFor(app: string, transport?: HttpTransport): Microsoft {
  const parsed = parseEnv({
    MS_CLIENT_ID: app,
    MS_CLIENT_SECRET: clientSecret,
    MS_LOGIN_BASE: emulator.loginUrl,
    MS_GRAPH_BASE: emulator.graphUrl,
    MS_CA_FILE: emulator.caFile,
  });
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  return createMicrosoft(microsoftConfigFromEnv(parsed.env)!, {
    retry,
    ...(transport ? { transport } : {}),
  });
}

/** Polls the operation until it is no longer running. */
async function settled(operationId: string): Promise<PhoneNumberOperation> {
  for (let i = 0; i < 60; i++) {
    const op = await microsoft.getPhoneNumberOperation(tenantId, operationId);
    if (op.status !== "running") return op;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the operation did not complete");
}

beforeAll(async () => {
  emulator = await startEmulator();
  emulator.control.registerApp({
    clientId,
    clientSecret,
    redirectUris: ["https://teamgate.test/cb"],
    appRoles: [...requestedAppPermissions],
  });
  emulator.control.registerApp({
    clientId: limitedClientId,
    clientSecret,
    redirectUris: ["https://teamgate.test/cb"],
    appRoles: ["Organization.Read.All", "User.Read.All"],
  });
  const seeded = emulator.control.seedTenant({
    displayName: "Contoso",
    domain: "contoso.example",
    users: [
      {
        userPrincipalName: "phone@contoso.example",
        displayName: "Pat Phone",
        password: "pw",
        licenses: ["teams", "teamsPhone"],
      },
      {
        userPrincipalName: "plain@contoso.example",
        displayName: "Una Teams",
        password: "pw",
        licenses: ["teams"],
      },
    ],
  });
  tenantId = seeded.tenantId;
  phoneUserId = seeded.users[0]!.id;
  plainUserId = seeded.users[1]!.id;
  for (const app of [clientId, limitedClientId])
    emulator.control.grantAdminConsent(tenantId, app, { longAgo: true });

  const real = createHttpTransport({ caPem: emulator.caPem });
  const graphOrigin = new URL(emulator.graphUrl).origin;
  microsoft = microsoftFor(clientId, {
    fetch(url, init) {
      const u = new URL(url);
      if (u.origin === graphOrigin) graphRequests.push(`${init?.method ?? "GET"} ${u.pathname}`);
      return real.fetch(url, init);
    },
    close: () => real.close(),
  });
  limited = microsoftFor(limitedClientId);
});

afterAll(async () => {
  await microsoft?.close();
  await limited?.close();
  await emulator?.stop();
});

describe("a user's Direct Routing number", () => {
  it("assigns it asynchronously, reads it back, and takes it back", async () => {
    expect(await microsoft.getUserPhoneNumber(tenantId, phoneUserId)).toBeNull();

    const assigning = await microsoft.assignPhoneNumber(tenantId, phoneUserId, "+31205550100");
    expect(assigning).toEqual(expect.any(String));
    expect(await microsoft.getPhoneNumberOperation(tenantId, assigning)).toEqual({
      status: "running",
      detail: null,
    });
    expect(await microsoft.getUserPhoneNumber(tenantId, phoneUserId)).toEqual({
      telephoneNumber: "+31205550100",
      activationState: "assignmentPending",
    });
    expect(await settled(assigning)).toEqual({ status: "succeeded", detail: null });
    expect(await microsoft.getUserPhoneNumber(tenantId, phoneUserId)).toEqual({
      telephoneNumber: "+31205550100",
      activationState: "activated",
    });
    expect(emulator.control.tenantState(tenantId).numberAssignments).toEqual([
      expect.objectContaining({
        telephoneNumber: "+31205550100",
        assignmentTargetId: phoneUserId,
        numberType: "directRouting",
        assignmentCategory: "primary",
      }),
    ]);

    const unassigning = await microsoft.unassignPhoneNumber(tenantId, "+31205550100");
    expect(unassigning).not.toBe(assigning);
    // In effect until the operation completes.
    expect(await microsoft.getUserPhoneNumber(tenantId, phoneUserId)).not.toBeNull();
    expect(await settled(unassigning)).toEqual({ status: "succeeded", detail: null });
    expect(await microsoft.getUserPhoneNumber(tenantId, phoneUserId)).toBeNull();
  });

  it("reports a refused assignment as a failed operation with Microsoft's words", async () => {
    const unlicensed = await microsoft.assignPhoneNumber(tenantId, plainUserId, "+31205550101");
    const failed = await settled(unlicensed);
    expect(failed.status).toBe("failed");
    expect(failed.detail).toContain("not licensed for Teams Phone");
    expect(await microsoft.getUserPhoneNumber(tenantId, plainUserId)).toBeNull();

    const notAssigned = await settled(
      await microsoft.unassignPhoneNumber(tenantId, "+31205550199"),
    );
    expect(notAssigned.status).toBe("failed");
    expect(notAssigned.detail).toContain("not assigned");
  });

  it("refuses what Graph refuses: a malformed number, an unknown operation, a missing permission", async () => {
    const malformed = await caught(microsoft.assignPhoneNumber(tenantId, phoneUserId, "020 555"));
    expect(malformed.code).toBe("microsoft_error");
    expect(malformed.cause).toMatchObject({ status: 400, code: "BadRequest" });
    expect((await caught(microsoft.getPhoneNumberOperation(tenantId, "nope"))).code).toBe(
      "not_found",
    );
    const forbidden = await caught(
      limited.assignPhoneNumber(tenantId, phoneUserId, "+31205550102"),
    );
    expect(forbidden.code).toBe("microsoft_forbidden");
    expect((await caught(limited.getUserPhoneNumber(tenantId, phoneUserId))).code).toBe(
      "microsoft_forbidden",
    );
    expect((await caught(limited.unassignPhoneNumber(tenantId, "+31205550102"))).code).toBe(
      "microsoft_forbidden",
    );
  });

  it("waits for Retry-After when Graph throttles assignNumber, then assigns once", async () => {
    emulator.control.injectFault({
      method: "POST",
      path: "^/v1\\.0/admin/teams/telephoneNumberManagement/numberAssignments/assignNumber",
      status: 429,
      retryAfterSeconds: 1,
      times: 1,
    });
    const assignCalls = () =>
      graphRequests.filter((r) => r.endsWith("/numberAssignments/assignNumber")).length;
    const before = assignCalls();
    const started = Date.now();
    const operation = await microsoft.assignPhoneNumber(tenantId, phoneUserId, "+31205550103");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(assignCalls() - before).toBe(2);
    expect(await settled(operation)).toEqual({ status: "succeeded", detail: null });
    expect(await microsoft.getUserPhoneNumber(tenantId, phoneUserId)).toEqual({
      telephoneNumber: "+31205550103",
      activationState: "activated",
    });
  });

  it("gives up on throttling that outlasts the retry budget as microsoft_throttled", async () => {
    emulator.control.injectFault({
      method: "POST",
      path: "/numberAssignments/unassignNumber",
      status: 429,
      retryAfterSeconds: 30,
      times: 1,
    });
    const throttled = await caught(microsoft.unassignPhoneNumber(tenantId, "+31205550103"));
    expect(throttled.code).toBe("microsoft_throttled");
    expect(throttled.headers?.["retry-after"]).toBe("30");
  });
});

describe("the operation id in a Location", () => {
  it("reads Microsoft's OData key form, absolute or relative, and the path form", () => {
    const base = "https://graph.microsoft.com/v1.0/admin/teams/telephoneNumberManagement";
    expect(phoneNumberOperationId(`${base}/operations('QXNzaWdubWVudHwx')`)).toBe(
      "QXNzaWdubWVudHwx",
    );
    expect(
      phoneNumberOperationId("/beta/admin/teams/telephoneNumberManagement/operations('a-b')"),
    ).toBe("a-b");
    expect(phoneNumberOperationId(`${base}/operations/abc%2Bdef`)).toBe("abc+def");
    for (const location of [null, "", `${base}/numberAssignments`, `${base}/operations('')`])
      expect(() => phoneNumberOperationId(location)).toThrowError(/linked no operation/);
  });
});

describe("Graph's other shapes (a scripted Graph)", () => {
  /** A Graph that answers each request with the next scripted answer, and remembers the URLs. */
  function scripted(...answers: (() => Response)[]) {
    const urls: string[] = [];
    const admin = createTenantAdmin(() =>
      createGraphClient({
        graphBase: "https://graph.test",
        accessToken: async () => "token",
        retry: { maxAttempts: 1 },
        transport: {
          fetch: async (url) => {
            urls.push(url);
            const answer = answers.shift();
            if (!answer) throw new Error(`unexpected request ${url}`);
            return answer();
          },
          close: async () => {},
        },
      }),
    );
    return { admin, urls };
  }
  const json = (body: unknown) => () =>
    new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });

  it("follows a relative Location on the client's own base; notStarted is running", async () => {
    const { admin, urls } = scripted(
      () =>
        new Response(null, {
          status: 202,
          headers: { location: "/v1.0/admin/teams/telephoneNumberManagement/operations('op%2F1')" },
        }),
      json({ id: "op/1", status: "notStarted", numbers: [] }),
      json({ id: "op/1", status: "failed", numbers: [{ status: "failed", statusDetail: "No." }] }),
    );
    const id = await admin.assignPhoneNumber("t", "u", "+31205550100");
    expect(id).toBe("op/1");
    expect(await admin.getPhoneNumberOperation("t", id)).toEqual({
      status: "running",
      detail: null,
    });
    expect(await admin.getPhoneNumberOperation("t", id)).toEqual({
      status: "failed",
      detail: "No.",
    });
    expect(urls).toEqual([
      "https://graph.test/v1.0/admin/teams/telephoneNumberManagement/numberAssignments/assignNumber",
      "https://graph.test/v1.0/admin/teams/telephoneNumberManagement/operations/op%2F1",
      "https://graph.test/v1.0/admin/teams/telephoneNumberManagement/operations/op%2F1",
    ]);
  });

  it("refuses an answer without an operation or with an unknown status; reads numbers without +", async () => {
    const { admin, urls } = scripted(
      () => new Response(null, { status: 202 }),
      json({ id: "x", status: "paused" }),
      json({
        value: [
          { telephoneNumber: "31205550101", assignmentCategory: "alternate", activationState: "x" },
          { telephoneNumber: "31205550100", assignmentCategory: "primary", activationState: "x" },
        ],
      }),
    );
    expect((await caught(admin.unassignPhoneNumber("t", "+31205550100"))).code).toBe(
      "microsoft_error",
    );
    expect((await caught(admin.getPhoneNumberOperation("t", "x"))).code).toBe("microsoft_error");
    expect(await admin.getUserPhoneNumber("t", "ABC")).toEqual({
      telephoneNumber: "+31205550100",
      activationState: "unknown",
    });
    expect(decodeURIComponent(urls[2]!)).toContain("$filter=assignmentTargetId eq 'abc'");
  });
});
