import { startEmulator } from "../src/emulator/index.ts";
import type { SeedUser } from "../src/emulator/state.ts";
import type { Database } from "../src/server/db/client.ts";
import { enterpriseSyncGroups } from "../src/server/db/schema/index.ts";
import {
  buildEnterprise,
  buildOrganization,
  buildRegion,
} from "../src/server/db/seed/factories.ts";
import type { Env } from "../src/server/env.ts";
import {
  microsoftConfigFromEnv,
  requiredAppPermissions,
} from "../src/server/integrations/microsoft/config.ts";
import { createMicrosoft, type Microsoft } from "../src/server/integrations/microsoft/port.ts";
import { createServices } from "../src/server/main.ts";
import { syncUsers } from "../src/server/modules/users/commands/sync-users.ts";
import { emulatorBenchEnv, onEachDatabase, printTable, round } from "./lib.ts";

const userCount = Number(process.env.BENCH_SYNC_USERS ?? 50_000);
const groupCount = 50;
const perGroup = 1_000;
const clientId = "00000000-0000-4000-8000-0000000be4c4";
const clientSecret = "bench-client-secret";

/**
 * The first full sync of a 50,000-user tenant scoped to 50 groups of 1,000 users (half licensed),
 * against the in-process Microsoft emulator over HTTPS. Baseline: the same users paged through the
 * same port method and discarded. Prints users/s of both, their ratio (goal >= 0.5) and the peak
 * RSS growth during the sync (sampled every 50 ms; goal < 150 MB).
 */
export async function benchUserSync(): Promise<void> {
  const emulator = await startEmulator();
  const rows: Record<string, string | number>[] = [];
  try {
    emulator.control.registerApp({
      clientId,
      clientSecret,
      redirectUris: ["http://bench.local/api/v1/microsoft/callback"],
      appRoles: [...requiredAppPermissions],
    });
    const domain = "bench-sync.example";
    const users: SeedUser[] = Array.from({ length: userCount }, (_, i) => ({
      userPrincipalName: `user${i}@${domain}`,
      displayName: `Bench User ${i}`,
      password: "Passw0rd!bench",
      licenses: i % 2 === 0 ? ["teams", "teamsPhone"] : [],
      groups: i < groupCount * perGroup ? [`Group ${Math.floor(i / perGroup)}`] : [],
    }));
    const seeded = emulator.control.seedTenant({ displayName: "Bench tenant", domain, users });
    users.length = 0;
    emulator.control.grantAdminConsent(seeded.tenantId, clientId);
    const env = emulatorBenchEnv(emulator, { clientId, clientSecret });
    const microsoft = createMicrosoft(microsoftConfigFromEnv(env)!);
    try {
      const measure = async (kind: string, database: Database) => {
        const result = await measureOne(database, env, microsoft, seeded);
        rows.push({
          run: `${kind}: (a) Graph paging only`,
          users: result.pagedUsers,
          seconds: round(result.pagingSeconds, 2),
          "users/s": round(result.pagedUsers / result.pagingSeconds, 0),
          "ratio (b)/(a)": "",
          "peak RSS growth MB": "",
        });
        rows.push({
          run: `${kind}: (b) first full sync`,
          users: result.syncedUsers,
          seconds: round(result.syncSeconds, 2),
          "users/s": round(result.syncedUsers / result.syncSeconds, 0),
          "ratio (b)/(a)": round(
            result.syncedUsers / result.syncSeconds / (result.pagedUsers / result.pagingSeconds),
            3,
          ),
          "peak RSS growth MB": round(result.peakRssGrowth / 1024 / 1024, 1),
        });
      };
      await onEachDatabase(
        "sync",
        (kind, database, _url) => measure(kind, database),
        (reason) => rows.push({ run: `PostgreSQL: skipped (${reason})` }),
        10,
      );
    } finally {
      await microsoft.close();
    }
  } finally {
    await emulator.stop();
  }
  printTable(
    `User sync: ${userCount} users, ${groupCount} chosen groups of ${perGroup}, half licensed; emulator in-process over HTTPS. (a) is the mean of a run before and one after (b). Goal: ratio >= 0.5, peak RSS growth < 150 MB.`,
    rows,
  );
}

async function measureOne(
  database: Database,
  env: Env,
  microsoft: Microsoft,
  seeded: { tenantId: string; groups: { id: string; displayName: string }[] },
) {
  const services = await createServices(env, {
    database,
    mailer: { send: async () => ({ messageId: "bench" }), close() {} },
    microsoft,
    publicUrl: "http://bench.local",
  });
  try {
    const db = services.db;
    const region = await buildRegion(db);
    const operator = await buildOrganization(db, { kind: "operator", name: "Operator" });
    const master = await buildOrganization(db, {
      kind: "master_reseller",
      parent: operator,
      regionIds: [region.id],
    });
    const reseller = await buildOrganization(db, {
      kind: "reseller",
      parent: master,
      regionIds: [region.id],
    });
    const enterprise = await buildEnterprise(db, {
      reseller,
      status: "registered",
      tenantId: seeded.tenantId,
    });
    const groups = seeded.groups.filter((g) => g.displayName.startsWith("Group "));
    await db.insert(enterpriseSyncGroups).values(
      groups.map((g) => ({
        enterpriseId: enterprise.id,
        groupId: g.id,
        displayName: g.displayName,
      })),
    );
    // Token and connection warm-up, so neither measurement pays for them.
    await microsoft.getOrganization(seeded.tenantId);

    // (a) The same users through the same port method the sync reads them with, pages consumed
    // and discarded. Measured before and after (b) (the machine's noise hits both); the mean is
    // the baseline.
    const page = async () => {
      let count = 0;
      const started = performance.now();
      for (const g of groups) {
        for await (const members of microsoft.groupMembers(seeded.tenantId, g.id, {
          pageSize: 999,
        }))
          count += members.length;
      }
      return { count, seconds: (performance.now() - started) / 1000 };
    };
    const before = await page();

    // (b) The first full sync, with RSS sampled every 50 ms.
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const t0 = performance.now();
    const outcome = await syncUsers(services, {
      enterpriseId: enterprise.id,
      trigger: "registration",
    });
    const syncSeconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const after = await page();
    if (outcome.outcome !== "succeeded")
      throw new Error(`sync did not succeed: ${outcome.outcome}`);
    return {
      pagedUsers: before.count,
      pagingSeconds: (before.seconds + after.seconds) / 2,
      syncedUsers: outcome.counters.seen,
      syncSeconds,
      peakRssGrowth: peak - baseline,
    };
  } finally {
    await services.boss.stop({ graceful: false, wait: true });
  }
}
