import { describe, expect, it } from "vitest";
import { backoffDelay, defaultRetryPolicy, graphError, parseRetryAfter } from "./graph.ts";
import { pkceChallenge } from "./msal.ts";
import { toDirectoryUser } from "./port.ts";

describe("Graph retry arithmetic", () => {
  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2030-01-01T00:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter("Tue, 01 Jan 2030 00:00:03 GMT", now)).toBe(3000);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });

  it("backs off exponentially with jitter, capped", () => {
    const policy = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(policy, 1, () => 0)).toBe(50);
    expect(backoffDelay(policy, 1, () => 1)).toBe(100);
    expect(backoffDelay(policy, 3, () => 0)).toBe(200);
    expect(backoffDelay(policy, 10, () => 1)).toBe(1000);
  });

  it("maps Graph failures to our codes and keeps Graph's error in cause", () => {
    const body = {
      error: { code: "Authorization_RequestDenied", message: "Insufficient privileges" },
    };
    const error = graphError(403, body, { method: "GET", url: "https://g.example/v1.0/users" });
    expect(error.code).toBe("microsoft_forbidden");
    expect(error.cause).toMatchObject({
      status: 403,
      code: "Authorization_RequestDenied",
      path: "/v1.0/users",
    });
    expect(graphError(429, {}, { method: "GET", url: "x", retryAfterMs: 2500 })).toMatchObject({
      code: "microsoft_throttled",
      headers: { "retry-after": "3" },
    });
    expect(graphError(503, {}, { method: "GET", url: "x" }).code).toBe("microsoft_unavailable");
    expect(graphError(404, {}, { method: "GET", url: "x" }).code).toBe("not_found");
    expect(graphError(400, {}, { method: "GET", url: "x" }).code).toBe("microsoft_error");
  });
});

describe("PKCE and licences", () => {
  it("derives the S256 challenge of RFC 7636's example verifier", () => {
    expect(pkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("flags Teams and Teams Phone only from enabled service plans", () => {
    const user = toDirectoryUser({
      id: "u1",
      displayName: "Ada",
      userPrincipalName: "ada@contoso.example",
      assignedPlans: [
        { servicePlanId: "57ff2da0-773e-42df-b2af-ffb7a2317929", capabilityStatus: "Enabled" },
        { servicePlanId: "4828c8ec-dc2e-4779-b502-87ac9ce28ab7", capabilityStatus: "Deleted" },
      ],
    });
    expect(user).toMatchObject({ teamsLicensed: true, teamsPhoneLicensed: false, mail: null });
  });

  it("recognises the government and DoD Teams and Teams Phone plans, in a grace period too", () => {
    const planned = (servicePlanId: string, capabilityStatus: string) =>
      toDirectoryUser({ id: "u", assignedPlans: [{ servicePlanId, capabilityStatus }] });
    for (const teams of [
      "57ff2da0-773e-42df-b2af-ffb7a2317929", // TEAMS1
      "304767db-7d23-49e8-a945-4a7eb65f9f28", // TEAMS_GOV
      "495922d5-f138-498b-8967-4acdcdfb2a74", // TEAMS_GCCHIGH
      "9953b155-8aef-4c56-92f3-72b0487fce41", // TEAMS_AR_GCCHIGH
      "ec0dd2de-a877-4059-a9b8-5838b5629b2a", // TEAMS_DOD
      "FD500458-C24C-478E-856C-A6067A8376CD", // TEAMS_AR_DOD (any case)
    ]) {
      expect(planned(teams, "Enabled"), teams).toMatchObject({ teamsLicensed: true });
      expect(planned(teams, "Warning"), teams).toMatchObject({ teamsLicensed: true });
      for (const status of ["Suspended", "LockedOut", "Deleted"])
        expect(planned(teams, status), `${teams} ${status}`).toMatchObject({
          teamsLicensed: false,
        });
    }
    for (const phone of [
      "4828c8ec-dc2e-4779-b502-87ac9ce28ab7", // MCOEV
      "db23fce2-a974-42ef-9002-d78dd42a0f22", // MCOEV_GOV
    ]) {
      expect(planned(phone, "Warning"), phone).toMatchObject({
        teamsLicensed: false,
        teamsPhoneLicensed: true,
      });
      expect(planned(phone, "Suspended")).toMatchObject({ teamsPhoneLicensed: false });
    }
  });
});
