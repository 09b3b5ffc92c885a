import { sql } from "drizzle-orm";
import type { DirectoryUser } from "../../../integrations/microsoft/port.ts";
import { affectedRows } from "../../../lib/sql.ts";
import { prefetched } from "../../../lib/streams.ts";
import { rowsOfResult, type SyncRun, type SyncSource } from "./sync-run.ts";

const MISSING_CHUNK = 100;

/**
 * Group mode, after the delta (which does not report group membership): who is in scope now. The
 * groups' transitive member ids (only ids) are staged in `user_sync_members` and compared in SQL:
 * in-scope rows missing from them are marked removed; members without a present row are read by
 * id (`getUsers`, 100 at a time) and inserted. The staging rows are deleted at the end.
 */
export async function membershipPass(run: SyncRun, source: SyncSource): Promise<void> {
  const { microsoft, tenantId, groupIds, pageSize } = source;
  const { db, runId, enterpriseId } = run;
  try {
    for (const groupId of groupIds) {
      const pages = microsoft.groupMemberIds(tenantId, groupId, { pageSize });
      for await (const ids of prefetched(run.ofChosenGroup(groupId, pages))) {
        if (ids.length === 0) continue;
        const staged = await db.execute(sql`
          INSERT INTO user_sync_members (run_id, ms_object_id)
          SELECT ${runId}, value FROM json_array_elements_text(${JSON.stringify(ids)}::json)
          ON CONFLICT DO NOTHING`);
        const seen = affectedRows(staged);
        run.counters.seen += seen;
        await run.progress({ seen });
      }
    }
    const now = run.services.now();
    const gone = await db.execute(sql`
      UPDATE users u SET removed_at = ${now}, updated_at = ${now}
      WHERE u.enterprise_id = ${enterpriseId} AND u.removed_at IS NULL
        AND NOT EXISTS (
          SELECT 1 FROM user_sync_members m
          WHERE m.run_id = ${runId} AND m.ms_object_id = u.ms_object_id)`);
    const removed = affectedRows(gone);
    run.counters.removed += removed;
    await run.progress({ removed });

    let after = "";
    for (;;) {
      const missing = rowsOfResult(
        await db.execute(sql`
          SELECT m.ms_object_id AS id FROM user_sync_members m
          WHERE m.run_id = ${runId} AND m.ms_object_id > ${after}
            AND NOT EXISTS (
              SELECT 1 FROM users u
              WHERE u.enterprise_id = ${enterpriseId} AND u.ms_object_id = m.ms_object_id
                AND u.removed_at IS NULL)
          ORDER BY m.ms_object_id LIMIT ${MISSING_CHUNK}`),
      ).map((r) => String(r.id));
      if (missing.length === 0) break;
      after = missing[missing.length - 1] ?? after;
      // A member deleted since the membership was read has no user any more.
      const users = (await microsoft.getUsers(tenantId, missing)).filter(
        (u): u is DirectoryUser => u !== null,
      );
      await run.upsert(users, "upsert", { countSeen: false });
      await run.progress({});
    }
  } finally {
    await db.execute(sql`DELETE FROM user_sync_members WHERE run_id = ${runId}`);
  }
}
