import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { closeTestServices, createTestServices, type TestServices } from "../../../test/harness.ts";
import { defineJob } from "./define-job.ts";
import { runQueuedJobs } from "./worker.ts";

let services: TestServices;
beforeAll(async () => {
  services = await createTestServices();
});
afterAll(() => closeTestServices(services));

/** A job whose query fails while carrying a secret as a bound parameter. */
const leakyJob = defineJob({
  name: "test.failing-query",
  schema: z.object({ secret: z.string() }),
  options: { retryLimit: 0 },
  async handle(s, data) {
    await s.db.execute(sql`SELECT ${data.secret}::int AS n`);
  },
});

describe("a failed job", () => {
  it("keeps the error in pg-boss without the failed query's parameters", async () => {
    const secret = "$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0$aGFzaA";
    await services.boss.createQueue(leakyJob.name, { name: leakyJob.name, retryLimit: 0 });
    const id = await services.boss.send(leakyJob.name, { secret }, { retryLimit: 0 });
    expect(await runQueuedJobs(services, leakyJob.name, [leakyJob])).toBe(1);
    const result = (await services.db.execute(
      sql`SELECT state, output::text AS output FROM pgboss.job WHERE id = ${id}`,
    )) as unknown as { rows: { state: string; output: string }[] };
    const [row] = result.rows;
    expect(row?.state).toBe("failed");
    // What failed is still there to diagnose; the value is not.
    expect(row?.output).toMatch(/int/);
    expect(row?.output).not.toContain(secret);
    expect(row?.output).not.toContain("c2VjcmV0");
  });
});
