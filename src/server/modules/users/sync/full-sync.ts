import type { GraphClient } from "../../../integrations/microsoft/graph.ts";
import {
  directoryUserSelect,
  type GraphUser,
  toDirectoryUser,
} from "../../../integrations/microsoft/port.ts";
import { AppError } from "../../../lib/errors.ts";
import { BoundedWrites, prefetched, rechunked } from "../../../lib/streams.ts";
import type { SyncRun } from "./sync-run.ts";

/**
 * A full sync: every user (`/users/delta` from the start) or the transitive members of every
 * chosen group, page by page, then the present users the run did not see marked removed. Returns
 * the users delta link where the next (delta) sync starts.
 */
export async function fullSync(
  run: SyncRun,
  graph: GraphClient,
  groupIds: string[],
  pageSize: number,
): Promise<string> {
  let deltaLink: string | undefined;
  const select = `$select=${directoryUserSelect}`;
  // Group mode: the first version of a user stands (see below). With all users the last version
  // must win, so pages are written in order; by groups two at once on PostgreSQL, whose server
  // works while this process fetches and parses the next page (PGlite runs in this thread).
  const firstWins = groupIds.length > 0;
  const writers = new BoundedWrites(run.services.database.kind === "postgres" && firstWins ? 2 : 1);
  const write = (users: GraphUser[]) =>
    writers.run(async () => {
      await run.upsert(users.map(toDirectoryUser), "upsert", { firstWins });
      await run.pageWritten();
    });
  try {
    if (!firstWins) {
      // A user changed during the enumeration may come twice: the last version wins, since the
      // delta link at the end is already past that change.
      for await (const page of prefetched(
        graph.pages<GraphUser>(`/users/delta?${select}`, { maxPageSize: pageSize }),
      )) {
        await write(page.value.filter((u) => !u["@removed"]));
        deltaLink = page.deltaLink ?? deltaLink;
      }
    } else {
      // Taken before the members are read: a change made during the run is seen next time,
      // so the first version of a user in two groups may stand (and counts once).
      const latest = await graph.get<{ "@odata.deltaLink"?: string }>(
        `/users/delta?$deltatoken=latest&${select}`,
      );
      deltaLink = latest?.["@odata.deltaLink"];
      // One stream over every group (the next page is fetched across group boundaries too),
      // re-cut into full pages: a group of 1,000 is two Graph pages (999 + 1) but one statement.
      const members = async function* () {
        for (const groupId of groupIds)
          yield* run.groupMembers(graph, groupId, pageSize, directoryUserSelect);
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
