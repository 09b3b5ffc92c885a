import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  closeTestServices,
  createTestServices,
  type TestServices,
  testEnv,
} from "../../../test/harness.ts";
import { newId } from "../../shared/ids.ts";
import { accounts } from "../db/schema/index.ts";
import { buildApp } from "../http/app.ts";
import { createLogger } from "../main.ts";
import { hashPassword } from "./passwords.ts";

/** SPEC §6: a failed query's bound parameters (a new admin's password hash) never reach the log. */

let services: TestServices;
let app: FastifyInstance;
const lines: string[] = [];
let secretHash: string;

/** An insert that fails inside the database (a NOT NULL column left null) carrying the hash. */
async function failingInsert(): Promise<void> {
  await services.db.insert(accounts).values({
    id: newId("account"),
    organizationId: "org_missing",
    name: null as never,
    email: "leak@example.com",
    username: "leak",
    passwordHash: secretHash,
  });
}

beforeAll(async () => {
  services = await createTestServices();
  services.log = createLogger(
    testEnv({ LOG_LEVEL: "info" }),
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  secretHash = await hashPassword("a-password-that-must-stay-secret");
  app = await buildApp(services, {
    plugins: [
      async (root) => {
        root.post("/test/failing-insert", async () => {
          await failingInsert();
          return {};
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

describe("logs of failed queries", () => {
  it("a request whose insert fails answers a bare 500 and logs no query parameter", async () => {
    lines.length = 0;
    const res = await app.inject({ method: "POST", url: "/test/failing-insert", payload: {} });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain(secretHash);
    const log = lines.join("");
    expect(log).toContain("unhandled error");
    // Still useful to diagnose: the SQL with placeholders and the database's error code.
    expect(log).toContain("insert into");
    expect(log).toContain("23502");
    expect(log).not.toContain(secretHash);
    expect(log).not.toContain("$argon2");
    expect(log).not.toContain("leak@example.com");
  });

  it("a job or command logging a failed query (the worker's path) logs no query parameter", async () => {
    lines.length = 0;
    const error = await failingInsert().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    services.log.child({ job: "test.job" }).warn({ err: error }, "job failed");
    services.log.error(error as Error);
    const log = lines.join("");
    expect(log).toContain("job failed");
    expect(log).not.toContain(secretHash);
    expect(log).not.toContain("$argon2");
    expect(log).not.toContain("leak@example.com");
  });

  it("hides a value PostgreSQL quotes in its message", async () => {
    lines.length = 0;
    const error = await services.database
      .execute("select $1::integer", ["secret-not-a-number"])
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(Error);
    services.log.error({ err: error }, "query failed");
    const log = lines.join("");
    expect(log).toContain("22P02");
    expect(log).not.toContain("secret-not-a-number");
  });
});
