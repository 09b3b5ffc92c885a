import type { GraphClient } from "../../../integrations/microsoft/graph.ts";
import type { GraphUser } from "../../../integrations/microsoft/port.ts";
import { AppError } from "../../../lib/errors.ts";
import { prefetched } from "../../../lib/streams.ts";
import { membershipPass } from "./membership-pass.ts";
import type { SyncRun } from "./sync-run.ts";
import { fromDelta, type SyncUser } from "./user-rows.ts";

/**
 * A delta sync from the stored delta link: changed users are upserted (all users) or updated when
 * already in scope (groups); `@removed` users are marked removed. By groups, the membership pass
 * then settles who is in scope. Returns the next delta link.
 */
export async function deltaSync(
  run: SyncRun,
  graph: GraphClient,
  link: string,
  groupIds: string[],
  pageSize: number,
): Promise<string> {
  let deltaLink: string | undefined;
  // Only what changed comes back for an updated user; `upsert` merges what is present.
  const pages = graph.pages<GraphUser>(link, {
    maxPageSize: pageSize,
    headers: { prefer: "return=minimal" },
  });
  for await (const page of prefetched(pages)) {
    const removedIds: string[] = [];
    const changed: SyncUser[] = [];
    for (const u of page.value) {
      if (u["@removed"]) removedIds.push(u.id);
      else changed.push(fromDelta(u));
    }
    await run.upsert(changed, groupIds.length === 0 ? "upsert" : "update");
    await run.progress({ removed: await run.markRemoved(removedIds) });
    deltaLink = page.deltaLink ?? deltaLink;
  }
  if (!deltaLink)
    throw new AppError("microsoft_error", "Microsoft returned no delta link for the users");
  if (groupIds.length > 0) await membershipPass(run, graph, groupIds, pageSize);
  return deltaLink;
}
