import type { DirectoryUser } from "../../../integrations/microsoft/port.ts";
import { AppError } from "../../../lib/errors.ts";
import { BoundedWrites, prefetched, rechunked } from "../../../lib/streams.ts";
import type { SyncRun, SyncSource } from "./sync-run.ts";

/**
 * A full sync: every user (a users delta round from the start) or the transitive members of every
 * chosen group, page by page, then the present users the run did not see marked removed. Returns
 * the users delta link where the next (delta) sync starts.
 */
export async function fullSync(run: SyncRun, source: SyncSource): Promise<string> {
  const { microsoft, tenantId, groupIds, pageSize } = source;
  let deltaLink: string | undefined;
  // Group mode: the first version of a user stands (see below). With all users the last version
  // must win, so pages are written in order; by groups two at once on PostgreSQL, whose server
  // works while this process fetches and parses the next page (PGlite runs in this thread).
  const firstWins = groupIds.length > 0;
  const writers = new BoundedWrites(run.services.database.kind === "postgres" && firstWins ? 2 : 1);
  const write = (users: DirectoryUser[]) =>
    writers.run(async () => {
      await run.upsert(users, "upsert", { firstWins });
      await run.pageWritten();
    });
  try {
    if (!firstWins) {
      // A user changed during the enumeration may come twice: the last version wins, since the
      // delta link at the end is already past that change.
      for await (const page of prefetched(
        microsoft.usersDelta(tenantId, "start", { maxPageSize: pageSize }),
      )) {
        await write(page.users);
        deltaLink = page.deltaLink ?? deltaLink;
      }
    } else {
      // Taken before the members are read: a change made during the run is seen next time,
      // so the first version of a user in two groups may stand (and counts once).
      for await (const page of microsoft.usersDelta(tenantId, "now"))
        deltaLink = page.deltaLink ?? deltaLink;
      // One stream over every group (the next page is fetched across group boundaries too),
      // re-cut into full pages: a group of 1,000 is two Graph pages (999 + 1) but one statement.
      const members = async function* () {
        for (const groupId of groupIds)
          yield* run.ofChosenGroup(
            groupId,
            microsoft.groupMembers(tenantId, groupId, { pageSize }),
          );
      };
      for await (const users of rechunked(prefetched(members()), pageSize)) await write(users);
    }
    await writers.drain();
  } catch (error) {
    // Let the writes in flight finish before the run is marked failed with its counters.
    await writers.settle();
    throw error;
  }
  if (!deltaLink)
    throw new AppError("microsoft_error", "Microsoft returned no delta link for the users");
  await run.sweepUnseen();
  return deltaLink;
}
