import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeTestServices, createTestServices, type TestServices } from "../../../test/harness.ts";
import { buildAccount, buildWorld, defaultPassword } from "../db/seed/factories.ts";
import { buildApp } from "./app.ts";

let services: TestServices;
let app: FastifyInstance;

beforeAll(async () => {
  services = await createTestServices();
  app = await buildApp(services, {
    plugins: [
      async (instance) => {
        instance.get("/boom", async () => {
          throw new Error("connect ECONNREFUSED postgres://admin:hunter2@db.internal");
        });
      },
    ],
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await closeTestServices(services);
});

describe("HTTP application", () => {
  it("answers 413 with the error body for an oversized request", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ login: "x", password: "y".repeat(1024 * 1024 + 10) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({
      code: "payload_too_large",
      message: "The request body is too large",
    });
  });

  it("answers 400 invalid_json for a malformed body and 415 for a non-JSON one", async () => {
    const bad = await app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      headers: { "content-type": "application/json" },
      payload: "{ not json",
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe("invalid_json");
    const form = await app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: "login=a&password=b",
    });
    expect(form.statusCode).toBe(415);
    expect(form.json().code).toBe("unsupported_media_type");
  });

  it("hides internals behind a bare 500", async () => {
    const res = await app.inject({ method: "GET", url: "/boom" });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      code: "internal",
      message: "Something went wrong on our side; it has been logged",
    });
    expect(res.body).not.toContain("hunter2");
  });

  it("answers unknown API routes with a JSON 404", async () => {
    const res = await app.inject({ method: "GET", url: "/api/v1/nothing-here" });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe("not_found");
  });

  it("sends security headers and a strict content security policy", async () => {
    const res = await app.inject({ method: "GET", url: "/healthz" });
    expect(res.headers["content-security-policy"]).toContain("default-src 'self'");
    expect(res.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["x-frame-options"]).toBe("SAMEORIGIN");
  });

  it("publishes the OpenAPI document with the API's routes", async () => {
    const res = await app.inject({ method: "GET", url: "/api/docs/json" });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/api/v1/auth/login",
        "/api/v1/resellers/{resellerId}/enterprises",
        "/api/v1/master-resellers",
      ]),
    );
  });
});

describe("session cookie behind HTTPS", () => {
  it("is Secure when the public URL is https", async () => {
    const secure = await buildApp({ ...services, publicUrl: "https://portal.example.net" });
    await secure.ready();
    const world = await buildWorld(services.db);
    const account = await buildAccount(services.db, { organizationId: world.a.reseller.id });
    const res = await secure.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { login: account.email, password: defaultPassword },
    });
    const cookie = res.cookies.find((c) => c.name === "tg_session")!;
    expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: "Lax", path: "/" });
    await secure.close();
  });
});
