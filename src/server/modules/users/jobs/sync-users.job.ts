import { z } from "zod";
import { UserSyncTrigger } from "../../../../shared/contracts/users.ts";
import { defineJob } from "../../../jobs/define-job.ts";
import { AppError } from "../../../lib/errors.ts";
import { syncUsers } from "../commands/sync-users.ts";

/**
 * Syncs one enterprise's users from Microsoft (full or delta, see sync-users.ts). Queued with the
 * enterprise id as singletonKey on a `stately` queue: at most one queued and one running per
 * enterprise. A failure is recorded on the run and the state, then retried by pg-boss.
 */
export const syncUsersJob = defineJob({
  name: "users.sync",
  schema: z.object({ enterpriseId: z.string(), trigger: UserSyncTrigger }),
  options: {
    retryLimit: 5,
    retryDelaySeconds: 30,
    retryBackoff: true,
    // A first sync of a very large tenant takes minutes; the claim, not the expiry, guards overlap.
    expireInSeconds: 3 * 60 * 60,
    policy: "stately",
  },
  async handle(services, data) {
    const result = await syncUsers(services, data);
    if (result.outcome === "busy")
      throw new AppError("conflict", "A user sync of this enterprise is already running");
    if (result.outcome === "skipped")
      services.log.info(
        { enterpriseId: data.enterpriseId, reason: result.reason },
        "user sync skipped",
      );
  },
});
