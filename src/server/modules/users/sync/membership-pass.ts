import { sql } from "drizzle-orm";
import type { GraphClient } from "../../../integrations/microsoft/graph.ts";
import {
  type DirectoryUser,
  directoryUserSelect,
  type GraphUser,
  toDirectoryUser,
} from "../../../integrations/microsoft/port.ts";
import { affectedRows } from "../../../lib/sql.ts";
import { prefetched } from "../../../lib/streams.ts";
import { rowsOfResult, type SyncRun } from "./sync-run.ts";

const MISSING_CHUNK = 100;
const BATCH_SIZE = 20;

/**
 * Group mode, after the delta (which does not report group membership): who is in scope now. The
 * groups' transitive member ids (only ids) are staged in `user_sync_members` and compared in SQL:
 * in-scope rows missing from them are marked removed; members without a present row are fetched
 * in `$batch`es (20 per request) and inserted. The staging rows are deleted at the end.
 */
export async function membershipPass(
  run: SyncRun,
  graph: GraphClient,
  groupIds: string[],
  pageSize: number,
): Promise<void> {
  const { db, runId, enterpriseId } = run;
  try {
    for (const groupId of groupIds) {
      for await (const members of prefetched(run.groupMembers(graph, groupId, pageSize, "id"))) {
        if (members.length === 0) continue;
        const staged = await db.execute(sql`
          INSERT INTO user_sync_members (run_id, ms_object_id)
          SELECT ${runId}, value FROM json_array_elements_text(${JSON.stringify(members.map((m) => m.id))}::json)
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
      const batches: string[][] = [];
      for (let i = 0; i < missing.length; i += BATCH_SIZE)
        batches.push(missing.slice(i, i + BATCH_SIZE));
      const answers = await Promise.all(
        batches.map((ids) =>
          graph.batch(
            ids.map((id, n) => ({
              id: String(n + 1),
              method: "GET" as const,
              url: `/users/${encodeURIComponent(id)}?$select=${directoryUserSelect}`,
            })),
          ),
        ),
      );
      const users: DirectoryUser[] = [];
      for (const response of answers.flat()) {
        if (response.status === 404) continue; // deleted since the membership was read
        if (response.error) throw response.error;
        users.push(toDirectoryUser(response.body as GraphUser));
      }
      await run.upsert(users, "upsert", { countSeen: false });
      await run.progress({});
    }
  } finally {
    await db.execute(sql`DELETE FROM user_sync_members WHERE run_id = ${runId}`);
  }
}
