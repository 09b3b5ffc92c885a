import { eq } from "drizzle-orm";
import type { Db } from "../client.ts";
import { organizations, regions } from "../schema/index.ts";
import {
  buildAccount,
  buildEnterprise,
  buildOrganization,
  buildPbxType,
  buildRegion,
  defaultPassword,
} from "./factories.ts";

/**
 * Demo data for `teamgate seed --demo`, made with the same factories as the tests: three SBC
 * regions, two PBX types, a master reseller with two resellers and a few enterprises, and one
 * admin per organization. Running it twice adds nothing the second time.
 */
export async function seedDemo(db: Db): Promise<string> {
  const [already] = await db
    .select({ id: regions.id })
    .from(regions)
    .where(eq(regions.name, "US East 1"));
  if (already) return "Demo data is already there; nothing added.";
  return db.transaction(async (tx) => {
    const regionRows = [
      await buildRegion(tx, { name: "US East 1", carrierFqdn: "use1.sbc.teamgate.localhost" }),
      await buildRegion(tx, { name: "US West 1", carrierFqdn: "usw1.sbc.teamgate.localhost" }),
      await buildRegion(tx, { name: "EU West 1", carrierFqdn: "euw1.sbc.teamgate.localhost" }),
    ];
    const pbx = [
      await buildPbxType(tx, { name: "Ringlogix", label: "Ringlogix", isDefault: true }),
      await buildPbxType(tx, {
        name: "Generic SIP",
        label: "Generic SIP PBX",
        hostingType: "on_premises",
      }),
    ];
    const regionIds = regionRows.map((r) => r.id);
    const pbxTypeIds = pbx.map((p) => p.id);
    const [operator] = await tx
      .select()
      .from(organizations)
      .where(eq(organizations.kind, "operator"));
    const root = operator ?? (await buildOrganization(tx, { kind: "operator", name: "Operator" }));
    const master = await buildOrganization(tx, {
      kind: "master_reseller",
      parent: root,
      name: "Demo Master Reseller",
      contactName: "Morgan Master",
      email: "master@demo.teamgate.localhost",
      regionIds,
      pbxTypeIds,
    });
    await buildAccount(tx, {
      organizationId: master.id,
      name: "Morgan Master",
      email: "master@demo.teamgate.localhost",
      username: "demo-master",
      isFirstAdmin: true,
    });
    const lines = [
      `Demo data added. Sign in with these (password for all: ${defaultPassword}):`,
      "  demo-master (master reseller)",
    ];
    for (const [index, name] of ["Northwind Telecom", "Contoso Voice"].entries()) {
      const slug = name.split(" ")[0]!.toLowerCase();
      const reseller = await buildOrganization(tx, {
        kind: "reseller",
        parent: master,
        name,
        email: `admin@${slug}.demo.teamgate.localhost`,
        regionIds,
        pbxTypeIds,
      });
      await buildAccount(tx, {
        organizationId: reseller.id,
        name: `${name} admin`,
        email: `admin@${slug}.demo.teamgate.localhost`,
        username: `demo-${slug}`,
        isFirstAdmin: true,
      });
      lines.push(`  demo-${slug} (reseller ${name})`);
      for (let i = 1; i <= 3 + index * 2; i++) {
        await buildEnterprise(tx, {
          reseller,
          name: `${name.split(" ")[0]} Customer ${i}`,
          adminEmail: `ga@customer${i}.${slug}.demo.teamgate.localhost`,
          services: i % 2 ? ["PBX"] : ["PBX", "TRUNK"],
          status: i === 1 ? "invited" : i === 2 ? "registered" : "active",
          regionIds: [regionIds[i % 3]!],
          pbxTypeIds: [pbxTypeIds[0]!],
          billingReference: `CUST-${1000 + i}`,
        });
      }
    }
    return lines.join("\n");
  });
}
