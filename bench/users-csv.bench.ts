import { stringify } from "csv-stringify/sync";
import { sql } from "drizzle-orm";
import type { Who } from "../src/server/authz/actor.ts";
import type { Scoped } from "../src/server/authz/policy.ts";
import { inTransaction } from "../src/server/context.ts";
import type { Database } from "../src/server/db/client.ts";
import { type Env, parseEnv } from "../src/server/env.ts";
import { seal } from "../src/server/lib/secrets.ts";
import { createServices } from "../src/server/main.ts";
import {
  applyUsersImport,
  importChunkSize,
} from "../src/server/modules/calling/import/run-users-import.ts";
import { startUsersImport } from "../src/server/modules/calling/import/users-import.ts";
import type { EnterpriseRow } from "../src/server/modules/enterprises/index.ts";
import { usersCsvColumns } from "../src/shared/contracts/users-csv.ts";
import { newIds } from "../src/shared/ids.ts";
import { buildBenchEnterprise, onEachDatabase, printTable, round } from "./lib.ts";

const rowCount = Number(process.env.BENCH_CSV_USERS ?? 10_000);
const who: Who = { actor: null, label: "bench", clientAddress: null };

/**
 * A bulk upload of 10,000 PBX users (the most one file may hold) into an enterprise with 10,000
 * synced Teams Phone users and 10,000 free numbers. Baseline (a): the same configurations written
 * in one transaction by three plain set-based statements (calling_users, devices with passwords
 * sealed beforehand, phone_numbers). Product (b): the CSV text through `startUsersImport` (parse,
 * validate against the database, seal, store; in one transaction) and then `applyUsersImport`
 * (re-check and write in chunks, events and Teams push jobs included). Prints rows/s of
 * each phase and the ratio rows/s (b) ÷ rows/s (a) (goal >= 0.3 on PostgreSQL).
 */
export async function benchUsersCsv(): Promise<void> {
  const parsed = parseEnv({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    APP_SECRET: "bench-secret-bench-secret-bench-secret",
  });
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  const env = parsed.env;
  const rows: Record<string, string | number>[] = [];
  const measure = async (kind: string, database: Database) => {
    const r = await measureOne(database, env);
    const perSecond = (s: number) => round(rowCount / s, 0);
    rows.push({
      run: `${kind}: (a) plain set-based SQL, 1 tx`,
      rows: rowCount,
      seconds: round(r.baseline, 3),
      "rows/s": perSecond(r.baseline),
      "ratio (b)/(a) rows/s": "",
    });
    rows.push({
      run: `${kind}: (b1) startUsersImport (parse+validate+store)`,
      rows: rowCount,
      seconds: round(r.validate, 3),
      "rows/s": perSecond(r.validate),
      "ratio (b)/(a) rows/s": round(r.baseline / r.validate, 3),
    });
    rows.push({
      run: `${kind}: (b2) applyUsersImport (chunks of ${importChunkSize})`,
      rows: rowCount,
      seconds: round(r.apply, 3),
      "rows/s": perSecond(r.apply),
      "ratio (b)/(a) rows/s": round(r.baseline / r.apply, 3),
    });
    rows.push({
      run: `${kind}: (b) total`,
      rows: rowCount,
      seconds: round(r.validate + r.apply, 3),
      "rows/s": perSecond(r.validate + r.apply),
      "ratio (b)/(a) rows/s": round(r.baseline / (r.validate + r.apply), 3),
    });
  };
  await onEachDatabase(
    "csv",
    (kind, database, _url) => measure(kind, database),
    (reason) => rows.push({ run: `PostgreSQL: skipped (${reason})` }),
    10,
  );
  printTable(
    `Users CSV upload: ${rowCount} PBX users (synced, Teams Phone) with free numbers; (a) one transaction of 3 set-based statements, passwords pre-sealed; (b) the product with push to Teams requested (jobs queued, not run). Ratio = rows/s (b) ÷ rows/s (a). Goal: (b) total ratio >= 0.3 on PostgreSQL.`,
    rows,
  );
}

async function measureOne(database: Database, env: Env) {
  const services = await createServices(env, {
    database,
    mailer: { send: async () => ({ messageId: "bench" }), close() {} },
    microsoft: null,
    teamsVoice: null,
    publicUrl: "http://bench.local",
  });
  try {
    const db = services.db;
    const { region, enterprise, pbx } = await buildBenchEnterprise(db);

    // The synced users and the inventory, set-based.
    const userIds = newIds("user", rowCount);
    const numberIds = newIds("phoneNumber", rowCount);
    const people = userIds.map((id, i) => ({
      id,
      ms_object_id: crypto.randomUUID(),
      display_name: `Bench User ${i}`,
      user_principal_name: `user${i}@bench-csv.example`,
      number_id: numberIds[i],
      number: `+1555${String(i).padStart(7, "0")}`,
      ext: String(100_000 + i),
    }));
    await db.execute(sql`
      insert into users (id, enterprise_id, ms_object_id, display_name, user_principal_name,
        teams_licensed, teams_phone_licensed)
      select r.id, ${enterprise.id}, r.ms_object_id, r.display_name, r.user_principal_name, true, true
      from json_to_recordset(${JSON.stringify(people)}::json)
        as r(id text, ms_object_id text, display_name text, user_principal_name text)`);
    await db.execute(sql`
      insert into phone_numbers (id, enterprise_id, number)
      select r.number_id, ${enterprise.id}, r.number
      from json_to_recordset(${JSON.stringify(people)}::json) as r(number_id text, number text)`);
    await db.execute(sql`analyze`);

    const counts = async () => {
      const { rows } = await database.execute(
        `select (select count(*)::int from calling_users where enterprise_id = '${enterprise.id}') as calling,
                (select count(*)::int from devices where enterprise_id = '${enterprise.id}') as devices,
                (select count(*)::int from phone_numbers where enterprise_id = '${enterprise.id}' and state = 'assigned' and assigned_user_id is not null) as assigned`,
      );
      return rows[0] as { calling: number; devices: number; assigned: number };
    };
    const expectCounts = async (phase: string, n: number) => {
      const c = await counts();
      if (c.calling !== n || c.devices !== n || c.assigned !== n)
        throw new Error(
          `${phase}: expected ${n} calling users, devices and assigned numbers, found ${JSON.stringify(c)}`,
        );
    };

    // (a) The same configurations by plain set-based SQL in one transaction, passwords sealed
    // beforehand (outside the measured time).
    const deviceIds = newIds("device", rowCount);
    const configurations = people.map((p, i) => ({
      user_id: p.id,
      sip_user: `${p.ext}@${pbx.sipDomain}`,
      phone_number: p.number,
      teams_voicemail: i % 2 === 1,
      device_id: deviceIds[i],
      sip_auth_id: p.ext,
      sip_password: seal(services.secret, `pw-${p.ext}`),
    }));
    const payload = JSON.stringify(configurations);
    const at = new Date().toISOString();
    const t0 = performance.now();
    await db.transaction(async (tx) => {
      await tx.execute(sql`
        insert into calling_users (user_id, enterprise_id, service, pbx_id, region_id, sip_user,
          phone_number, teams_voicemail, caller_name_policy, forwarded_caller_id, teams_state,
          teams_requested_at, created_at, updated_at)
        select r.user_id, ${enterprise.id}, 'pbx', ${pbx.id}, ${region.id}, r.sip_user,
          r.phone_number, r.teams_voicemail, ${pbx.callerNamePolicy}, ${pbx.forwardedCallerId},
          'pending', ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
        from json_to_recordset(${payload}::json)
          as r(user_id text, sip_user text, phone_number text, teams_voicemail boolean)`);
      await tx.execute(sql`
        insert into devices (id, user_id, enterprise_id, sip_auth_id, sip_password, created_at, updated_at)
        select r.device_id, r.user_id, ${enterprise.id}, r.sip_auth_id, r.sip_password,
          ${at}::timestamptz, ${at}::timestamptz
        from json_to_recordset(${payload}::json)
          as r(device_id text, user_id text, sip_auth_id text, sip_password text)`);
      await tx.execute(sql`
        update phone_numbers n set state = 'assigned', assigned_user_id = r.user_id,
          updated_at = ${at}::timestamptz
        from json_to_recordset(${payload}::json) as r(user_id text, phone_number text)
        where n.number = r.phone_number and n.enterprise_id = ${enterprise.id}`);
    });
    const baseline = (performance.now() - t0) / 1000;
    await expectCounts("(a)", rowCount);
    // Undone, so (b) starts from the same state (dead rows vacuumed away).
    await db.execute(sql`delete from calling_users where enterprise_id = ${enterprise.id}`);
    await db.execute(
      sql`update phone_numbers set state = 'available', assigned_user_id = null where enterprise_id = ${enterprise.id}`,
    );
    await db.execute(sql`vacuum analyze calling_users`);
    await db.execute(sql`vacuum analyze devices`);
    await db.execute(sql`vacuum analyze phone_numbers`);
    await expectCounts("(a) undone", 0);

    // (b) The product: the CSV text (built outside the measured time), validated and stored in
    // one transaction, then applied in chunks.
    const csv = stringify(
      [
        [...usersCsvColumns],
        ...configurations.map((c, i) => [
          people[i]!.user_principal_name,
          c.sip_user,
          c.phone_number,
          c.teams_voicemail ? "yes" : "no",
          c.sip_auth_id,
          `pw-${c.sip_auth_id}`,
          "",
        ]),
      ],
      { record_delimiter: "windows" },
    );
    const t1 = performance.now();
    const record = await inTransaction(services, who, (ctx) =>
      startUsersImport(
        ctx,
        enterprise as Scoped<EnterpriseRow>,
        csv,
        { service: "pbx", pbxId: pbx.id, regionId: region.id, updateExisting: false },
        true,
      ),
    );
    const t2 = performance.now();
    await applyUsersImport(services, record.id);
    const t3 = performance.now();
    const { rows: imported } = await database.execute(
      `select status, applied, created, error from user_imports where id = '${record.id}'`,
    );
    const outcome = imported[0] as { status: string; applied: number; error: string | null };
    if (outcome.status !== "succeeded" || outcome.applied !== rowCount)
      throw new Error(`(b) import did not succeed: ${JSON.stringify(outcome)}`);
    await expectCounts("(b)", rowCount);
    return { baseline, validate: (t2 - t1) / 1000, apply: (t3 - t2) / 1000 };
  } finally {
    await services.boss.stop({ graceful: false, wait: true });
  }
}
