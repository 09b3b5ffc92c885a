import { ServerError } from "@azure/msal-node";
import { describe, expect, it } from "vitest";
import { mapMsalError } from "./msal.ts";

/** Entra's answers decided from structured fields (`error`, `error_codes`), never the description. */
describe("mapMsalError", () => {
  const server = (error: string, errorNo: string | undefined, description: string, status = 400) =>
    new ServerError(error, "corr-1", description, undefined, errorNo, status);

  it("reads the error number from error_codes, not from the description's AADSTS text", () => {
    expect(
      mapMsalError(
        server("invalid_client", "7000229", "a service principal is missing"),
        "app-token",
      ).code,
    ).toBe("microsoft_consent_required");
    // The description names a consent error, the structured code does not: not a consent error.
    expect(
      mapMsalError(server("invalid_request", "90002", "AADSTS65001: consent missing"), "app-token")
        .code,
    ).toBe("microsoft_error");
  });

  it("treats 5xx, and the throttling cache's replay of 90033, as unavailable; 429 as throttled", () => {
    expect(mapMsalError(server("server_error", "500011", "x", 503), "app-token").code).toBe(
      "microsoft_unavailable",
    );
    expect(mapMsalError(new ServerError("90033", "corr", "replayed"), "app-token").code).toBe(
      "microsoft_unavailable",
    );
    expect(
      mapMsalError(server("temporarily_unavailable", "50196", "x", 429), "app-token").code,
    ).toBe("microsoft_unavailable");
  });

  it("keeps Entra's code and correlation id in the cause", () => {
    const error = mapMsalError(server("invalid_client", "7000215", "bad secret", 401), "app-token");
    expect(error.code).toBe("microsoft_forbidden");
    expect(error.cause).toMatchObject({ aadsts: "7000215", correlationId: "corr-1", status: 401 });
  });
});
