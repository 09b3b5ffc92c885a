import { count } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  closeTestServices,
  createTestServices,
  type TestServices,
} from "../../../../test/harness.ts";
import { enterprises, organizations, users, workflowRuns } from "../schema/index.ts";
import { seedDemo } from "./demo.ts";

let services: TestServices;
beforeAll(async () => {
  services = await createTestServices();
});
afterAll(() => closeTestServices(services));

it("adds the demo tree once and nothing on a second run", async () => {
  expect(await seedDemo(services.db)).toMatch(/^Demo data added/);
  const [orgs] = await services.db.select({ n: count() }).from(organizations);
  const [ents] = await services.db.select({ n: count() }).from(enterprises);
  expect(orgs!.n).toBe(4);
  expect(ents!.n).toBe(8);
  // Registered and active enterprises look registered: a tenant, the role; active ones have users.
  const rows = await services.db.select().from(enterprises);
  const roles = await services.db.select().from(workflowRuns);
  for (const e of rows) {
    expect(e.tenantId === null, e.name).toBe(e.status === "invited");
    const role = roles.find((r) => r.subjectId === e.id);
    if (e.status !== "invited") expect(role?.status, e.name).toBe("succeeded");
    else expect(role, e.name).toBeUndefined();
  }
  const [synced] = await services.db.select({ n: count() }).from(users);
  expect(synced!.n).toBe(12 * rows.filter((e) => e.status === "active").length);
  expect(await seedDemo(services.db)).toMatch(/already there/);
  const [again] = await services.db.select({ n: count() }).from(enterprises);
  expect(again!.n).toBe(8);
});
