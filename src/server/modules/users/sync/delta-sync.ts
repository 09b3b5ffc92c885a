import { AppError } from "../../../lib/errors.ts";
import { prefetched } from "../../../lib/streams.ts";
import { membershipPass } from "./membership-pass.ts";
import type { SyncRun, SyncSource } from "./sync-run.ts";

/**
 * A delta sync from the stored delta link: changed users are upserted (all users) or updated when
 * already in scope (groups); users who left are marked removed. By groups, the membership pass
 * then settles who is in scope. Returns the next delta link.
 */
export async function deltaSync(run: SyncRun, source: SyncSource, link: string): Promise<string> {
  const { microsoft, tenantId, groupIds, pageSize } = source;
  let deltaLink: string | undefined;
  // Only what changed comes back for an updated user; `upsert` merges what is present.
  const pages = microsoft.usersDelta(tenantId, { link }, { maxPageSize: pageSize });
  for await (const page of prefetched(pages)) {
    await run.upsert(page.users, groupIds.length === 0 ? "upsert" : "update");
    await run.progress({ removed: await run.markRemoved(page.removedIds) });
    deltaLink = page.deltaLink ?? deltaLink;
  }
  if (!deltaLink)
    throw new AppError("microsoft_error", "Microsoft returned no delta link for the users");
  if (groupIds.length > 0) await membershipPass(run, source);
  return deltaLink;
}
