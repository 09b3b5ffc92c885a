import { count } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  closeTestServices,
  createTestServices,
  type TestServices,
} from "../../../../test/harness.ts";
import { enterprises, organizations } from "../schema/index.ts";
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
  expect(await seedDemo(services.db)).toMatch(/already there/);
  const [again] = await services.db.select({ n: count() }).from(enterprises);
  expect(again!.n).toBe(8);
});
