import { and, count, eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  closeTestServices,
  createTestServices,
  type TestServices,
} from "../../../../test/harness.ts";
import { unseal } from "../../lib/secrets.ts";
import {
  callingUsers,
  devices,
  directRoutes,
  enterprises,
  organizations,
  pbxes,
  phoneNumbers,
  users,
  workflowRuns,
} from "../schema/index.ts";
import { seedDemo } from "./demo.ts";

let services: TestServices;
beforeAll(async () => {
  services = await createTestServices();
});
afterAll(() => closeTestServices(services));

it("adds the demo tree once and nothing on a second run", async () => {
  expect(await seedDemo(services, { pbxSipPort: 5070 })).toMatch(/^Demo data added/);
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
  expect(await seedDemo(services, { pbxSipPort: 5070 })).toMatch(/already there/);
  const [again] = await services.db.select({ n: count() }).from(enterprises);
  expect(again!.n).toBe(8);
});

it("configures the demo enterprise's users at the demo PBX, once", async () => {
  const [demo] = await services.db
    .select()
    .from(enterprises)
    .where(eq(enterprises.name, "Contoso Customer 3"));
  const locations = await services.db.select().from(pbxes).where(eq(pbxes.enterpriseId, demo!.id));
  expect(locations).toMatchObject([
    {
      locationName: "Demo PBX",
      sipProxy: "127.0.0.1:5070",
      transport: "udp",
      dnsLookup: "A",
      sipDomain: "pbx.teamgate.test",
    },
  ]);
  const configured = await services.db
    .select({ calling: callingUsers, device: devices })
    .from(callingUsers)
    .innerJoin(devices, eq(devices.userId, callingUsers.userId))
    .where(eq(callingUsers.enterpriseId, demo!.id));
  expect(configured).toHaveLength(4);
  for (const { calling, device } of configured) {
    expect(calling).toMatchObject({ service: "pbx", pbxId: locations[0]!.id });
    expect(calling.sipUser).toMatch(/^100\d@pbx\.teamgate\.test$/);
    expect(calling.sipUser).toBe(`${device.sipAuthId}@pbx.teamgate.test`);
    // sealed with the platform's secret, never in clear
    expect(unseal<string>(services.secret, device.sipPassword).length).toBeGreaterThanOrEqual(12);
  }
  const assigned = await services.db
    .select()
    .from(phoneNumbers)
    .where(and(eq(phoneNumbers.enterpriseId, demo!.id), eq(phoneNumbers.state, "assigned")));
  expect(assigned.map((n) => n.number).sort()).toEqual(
    configured.map((c) => c.calling.phoneNumber).sort(),
  );
  // served by its region's gateway nodes: its derived trunk there is active
  const trunks = await services.db
    .select()
    .from(directRoutes)
    .where(eq(directRoutes.enterpriseId, demo!.id));
  expect(trunks).toMatchObject([
    { fqdn: "contosocustomer3.use1.sbc.teamgate.localhost", status: "active" },
  ]);
  expect(configured.every((c) => c.calling.regionId === trunks[0]!.regionId)).toBe(true);
  await seedDemo(services, { pbxSipPort: 5070 });
  const [after] = await services.db.select({ n: count() }).from(callingUsers);
  expect(after!.n).toBe(4);
  const [locationsAfter] = await services.db.select({ n: count() }).from(pbxes);
  expect(locationsAfter!.n).toBe(1);
});
