export { requestUserSync } from "./commands/request-user-sync.ts";
export { type SyncOutcome, syncUsers } from "./commands/sync-users.ts";
export { syncDueUsersJob } from "./jobs/sync-due-users.job.ts";
export { syncUsersJob } from "./jobs/sync-users.job.ts";
export { listUsers, presentUser, userSyncStatusOf } from "./users.queries.ts";
export { usersRoutes } from "./users.routes.ts";
