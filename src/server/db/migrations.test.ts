/**
 * Migrations that move data: run up to the one before on a fresh database, write rows as the
 * product wrote them then, run the rest, and check nothing was lost.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { describe, expect, it } from "vitest";
import { migrationsFolder } from "./client.ts";

/** A fresh database migrated up to (not including) the migration whose tag contains `tag`; `rest` runs the others. */
async function migratedUpTo(tag: string) {
  const db = new PGlite();
  const files = readdirSync(migrationsFolder)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  const run = async (file: string) => {
    const text = readFileSync(join(migrationsFolder, file), "utf8");
    for (const statement of text.split("--> statement-breakpoint")) await db.exec(statement);
  };
  const at = files.findIndex((f) => f.includes(tag));
  expect(at).toBeGreaterThan(0);
  for (const file of files.slice(0, at)) await run(file);
  return {
    db,
    rest: async () => {
      for (const file of files.slice(at)) await run(file);
    },
  };
}

describe("The Teams Administrator role's move into a workflow", () => {
  it("turns each registered enterprise's role state into a finished run with both steps", async () => {
    const { db, rest } = await migratedUpTo("_teams_admin_role_workflow");
    await db.exec(`
      INSERT INTO organizations (id, kind, name, email) VALUES
        ('org_m', 'master_reseller', 'Master', 'm@x.test'), ('org_r', 'reseller', 'Reseller', 'r@x.test');
      INSERT INTO enterprises (id, reseller_id, master_reseller_id, name, admin_email, tenant_id,
          registered_at, teams_admin_role_state, teams_admin_role_error, teams_admin_role_assigned_at)
      VALUES
        ('ent_ok', 'org_r', 'org_m', 'Assigned', 'a@x.test', 't-1', '2026-01-01Z', 'assigned', NULL, '2026-01-02Z'),
        ('ent_no', 'org_r', 'org_m', 'Failed', 'b@x.test', 't-2', '2026-01-01Z', 'failed', 'Microsoft refused', NULL),
        ('ent_wait', 'org_r', 'org_m', 'Pending', 'c@x.test', 't-3', '2026-01-01Z', 'pending', NULL, NULL),
        ('ent_new', 'org_r', 'org_m', 'Invited', 'd@x.test', NULL, NULL, NULL, NULL, NULL);`);
    await rest();
    const runs = await db.query<{ subject_id: string; status: string; input: unknown }>(
      "SELECT subject_id, status, input, reseller_id, master_reseller_id FROM workflow_runs WHERE name = 'microsoft.teams-admin-role' ORDER BY subject_id",
    );
    expect(runs.rows).toEqual([
      expect.objectContaining({ subject_id: "ent_no", status: "failed" }),
      expect.objectContaining({
        subject_id: "ent_ok",
        status: "succeeded",
        input: { tenantId: "t-1", assignment: { state: "requested" } },
        reseller_id: "org_r",
        master_reseller_id: "org_m",
      }),
      expect.objectContaining({ subject_id: "ent_wait", status: "failed" }),
    ]);
    const steps = await db.query<{
      subject_id: string;
      step_id: string;
      status: string;
      error: string | null;
    }>(
      `SELECT r.subject_id, s.step_id, s.status, s.error FROM workflow_steps s
       JOIN workflow_runs r ON r.id = s.run_id ORDER BY r.subject_id, s.position`,
    );
    expect(steps.rows).toEqual([
      {
        subject_id: "ent_no",
        step_id: "teams-admin-role.assign",
        status: "succeeded",
        error: null,
      },
      {
        subject_id: "ent_no",
        step_id: "teams-admin-role.effective",
        status: "failed",
        error: "Microsoft refused",
      },
      {
        subject_id: "ent_ok",
        step_id: "teams-admin-role.assign",
        status: "succeeded",
        error: null,
      },
      {
        subject_id: "ent_ok",
        step_id: "teams-admin-role.effective",
        status: "succeeded",
        error: null,
      },
      {
        subject_id: "ent_wait",
        step_id: "teams-admin-role.assign",
        status: "succeeded",
        error: null,
      },
      {
        subject_id: "ent_wait",
        step_id: "teams-admin-role.effective",
        status: "failed",
        error: expect.stringMatching(/interrupted by an upgrade.*retry/),
      },
    ]);
    const columns = await db.query(
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'enterprises' AND column_name LIKE 'teams_admin_role%'",
    );
    expect(columns.rows).toEqual([]);
    await db.close();
  });
});

describe("The audit log's history", () => {
  it("moves into the event log when the events migration runs: every entry, in order, nothing lost", async () => {
    const { db, rest } = await migratedUpTo("_events");
    await db.exec(`
      INSERT INTO audit_log (id, at, actor_account_id, actor_label, action, target_type, target_id,
        target_label, master_reseller_id, reseller_id, enterprise_id, before, after, client_address)
      VALUES
        ('aud_2', '2026-01-02T00:00:00Z', 'acc_1', 'Ann <ann@x.test>', 'enterprise.updated',
         'enterprise', 'ent_1', 'Acme', 'org_m', 'org_r', 'ent_1', '{"name":"A"}', '{"name":"B"}', '10.0.0.1'),
        ('aud_1', '2026-01-01T00:00:00Z', null, 'system', 'enterprise.user_sync_requested',
         'enterprise', 'ent_1', 'Acme', 'org_m', 'org_r', 'ent_1', null, 'null', null)`);
    await rest();
    const rows = await db.query<Record<string, unknown>>(
      "SELECT name, actor_account_id, actor_label, subject_id, subject_label, reseller_id, enterprise_id, client_address, payload FROM events ORDER BY tx_id, id",
    );
    expect(rows.rows).toEqual([
      {
        name: "enterprise.user_sync_requested",
        actor_account_id: null,
        actor_label: "system",
        subject_id: "ent_1",
        subject_label: "Acme",
        reseller_id: "org_r",
        enterprise_id: "ent_1",
        client_address: null,
        payload: {},
      },
      {
        name: "enterprise.updated",
        actor_account_id: "acc_1",
        actor_label: "Ann <ann@x.test>",
        subject_id: "ent_1",
        subject_label: "Acme",
        reseller_id: "org_r",
        enterprise_id: "ent_1",
        client_address: "10.0.0.1",
        payload: { before: { name: "A" }, after: { name: "B" } },
      },
    ]);
    expect((await db.query("SELECT to_regclass('audit_log') AS t")).rows[0]).toEqual({ t: null });
    await db.close();
  });
});

describe("The order of an enterprise's regions", () => {
  it("orders the regions chosen before it was kept by name, the first one primary", async () => {
    const { db, rest } = await migratedUpTo("_direct_routing");
    await db.exec(`
      INSERT INTO organizations (id, kind, name, email) VALUES
        ('org_m', 'master_reseller', 'Master', 'm@x.test'), ('org_r', 'reseller', 'Reseller', 'r@x.test');
      INSERT INTO regions (id, name, carrier_fqdn) VALUES
        ('reg_1', 'US West', 'usw.sbc.test'), ('reg_2', 'EU Central', 'euc.sbc.test'),
        ('reg_3', 'Asia', 'as.sbc.test');
      INSERT INTO enterprises (id, reseller_id, master_reseller_id, name, admin_email)
      VALUES ('ent_a', 'org_r', 'org_m', 'A', 'a@x.test'), ('ent_b', 'org_r', 'org_m', 'B', 'b@x.test');
      INSERT INTO enterprise_regions (enterprise_id, region_id) VALUES
        ('ent_a', 'reg_1'), ('ent_a', 'reg_2'), ('ent_a', 'reg_3'), ('ent_b', 'reg_1');`);
    await rest();
    const rows = await db.query<{ enterprise_id: string; region_id: string; position: number }>(
      "SELECT enterprise_id, region_id, position FROM enterprise_regions ORDER BY enterprise_id, position",
    );
    expect(rows.rows).toEqual([
      { enterprise_id: "ent_a", region_id: "reg_3", position: 0 },
      { enterprise_id: "ent_a", region_id: "reg_2", position: 1 },
      { enterprise_id: "ent_a", region_id: "reg_1", position: 2 },
      { enterprise_id: "ent_b", region_id: "reg_1", position: 0 },
    ]);
  });
});
