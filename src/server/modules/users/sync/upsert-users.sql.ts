import { type SQL, sql } from "drizzle-orm";
import type { Row } from "./user-rows.ts";

export interface UpsertStatement {
  rows: Row[];
  /** The rows are delta objects: a property absent keeps the stored value. */
  merge: boolean;
  /** `upsert` inserts new users and updates known ones; `update` only touches present rows. */
  kind: "upsert" | "update";
  enterpriseId: string;
  runId: string;
  now: Date;
  /** Full sync by groups: a row this run already stamped is left alone (counts once). */
  firstWins: boolean;
  /** Whether the page's rows count as seen. */
  countSeen: boolean;
  /** The lease renewal (an UPDATE) run in the same statement. */
  renewal: SQL;
}

/**
 * One statement per page. `upsert` inserts new users and updates known ones (restoring removed
 * ones); `update` only touches rows present in scope. `updated_at` moves only when something
 * changed, which is how the statement tells updated from merely seen (RETURNING has no old
 * values). In a full sync a row this run already stamped is left alone (a user in two groups
 * counts once); in a delta round a repeated object is written again (the last one wins). The same
 * statement adds the page's counts to the run (its progress) and renews the lease; it returns one
 * row: `seen`, `created`, `updated`, and `claimed` (0 when the lease was lost).
 */
export function upsertUsersStatement(s: UpsertStatement): SQL {
  const { rows, enterpriseId, runId, now } = s;
  // Delta objects carry what changed: a property absent keeps the stored value (a user not
  // stored yet takes the object's values, absent ones defaulted as in a full read).
  const pick = (flag: string, value: string, column: string) =>
    sql.raw(`CASE WHEN t.${flag} OR u.id IS NULL THEN t.${value} ELSE u.${column} END`);
  const input = s.merge
    ? sql`input AS (
        SELECT t.id, t.ms,
          ${pick("hdn", "dn", "display_name")} AS dn,
          ${pick("hupn", "upn", "user_principal_name")} AS upn,
          ${pick("hmail", "mail", "mail")} AS mail,
          ${pick("hae", "ae", "account_enabled")} AS ae,
          ${pick("hlic", "tl", "teams_licensed")} AS tl,
          ${pick("hlic", "tpl", "teams_phone_licensed")} AS tpl
        FROM json_to_recordset(${JSON.stringify(rows)}::json)
          AS t(id text, ms text, dn text, upn text, mail text, ae boolean, tl boolean, tpl boolean,
               hdn boolean, hupn boolean, hmail boolean, hae boolean, hlic boolean)
        LEFT JOIN users u ON u.enterprise_id = ${enterpriseId} AND u.ms_object_id = t.ms
      )`
    : sql`input AS (
        SELECT * FROM json_to_recordset(${JSON.stringify(rows)}::json)
          AS t(id text, ms text, dn text, upn text, mail text, ae boolean, tl boolean, tpl boolean)
      )`;
  const changedUsers = sql`ROW(u.display_name, u.user_principal_name, u.mail, u.account_enabled,
                     u.teams_licensed, u.teams_phone_licensed, u.removed_at IS NULL)`;
  const write: SQL =
    s.kind === "upsert"
      ? sql`up AS (
        INSERT INTO users AS u (id, enterprise_id, ms_object_id, display_name, user_principal_name,
          mail, account_enabled, teams_licensed, teams_phone_licensed, removed_at,
          last_seen_run_id, created_at, updated_at)
        SELECT i.id, ${enterpriseId}, i.ms, i.dn, i.upn, i.mail, i.ae, i.tl, i.tpl, NULL,
          ${runId}, ${now}, ${now}
        FROM input i
        ON CONFLICT (enterprise_id, ms_object_id) DO UPDATE SET
          display_name = excluded.display_name,
          user_principal_name = excluded.user_principal_name,
          mail = excluded.mail,
          account_enabled = excluded.account_enabled,
          teams_licensed = excluded.teams_licensed,
          teams_phone_licensed = excluded.teams_phone_licensed,
          removed_at = NULL,
          last_seen_run_id = excluded.last_seen_run_id,
          updated_at = CASE
            WHEN ${changedUsers}
              IS DISTINCT FROM ROW(excluded.display_name, excluded.user_principal_name,
                     excluded.mail, excluded.account_enabled, excluded.teams_licensed,
                     excluded.teams_phone_licensed, true)
            THEN excluded.updated_at ELSE u.updated_at END
        WHERE u.last_seen_run_id IS DISTINCT FROM excluded.last_seen_run_id
          ${
            s.firstWins
              ? sql``
              : sql`OR ${changedUsers} IS DISTINCT FROM ROW(excluded.display_name,
                 excluded.user_principal_name, excluded.mail, excluded.account_enabled,
                 excluded.teams_licensed, excluded.teams_phone_licensed, true)`
          }
        RETURNING (u.xmax = 0) AS inserted, (u.updated_at = ${now}) AS changed
      )`
      : sql`up AS (
        UPDATE users u SET
          display_name = i.dn, user_principal_name = i.upn, mail = i.mail,
          account_enabled = i.ae, teams_licensed = i.tl, teams_phone_licensed = i.tpl,
          last_seen_run_id = ${runId},
          updated_at = CASE
            WHEN ROW(u.display_name, u.user_principal_name, u.mail, u.account_enabled,
                     u.teams_licensed, u.teams_phone_licensed)
              IS DISTINCT FROM ROW(i.dn, i.upn, i.mail, i.ae, i.tl, i.tpl)
            THEN ${now} ELSE u.updated_at END
        FROM input i
        WHERE u.enterprise_id = ${enterpriseId} AND u.ms_object_id = i.ms
          AND u.removed_at IS NULL
        RETURNING false AS inserted, (u.updated_at = ${now}) AS changed
      )`;
  return sql`
    WITH ${input}, ${write},
    counts AS (
      SELECT
        ${s.countSeen ? sql`count(*)::int` : sql`0`} AS seen,
        count(*) FILTER (WHERE inserted)::int AS created,
        count(*) FILTER (WHERE NOT inserted AND changed)::int AS updated
      FROM up
    ),
    run AS (
      UPDATE user_sync_runs r
      SET seen = r.seen + c.seen, created = r.created + c.created, updated = r.updated + c.updated
      FROM counts c WHERE r.id = ${runId}
    ),
    claim AS (${s.renewal} RETURNING 1)
    SELECT c.seen, c.created, c.updated, (SELECT count(*)::int FROM claim) AS claimed
    FROM counts c`;
}
