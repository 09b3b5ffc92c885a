export { teamsPushCountsOf } from "./calling.queries.ts";
export { callingRoutes } from "./calling.routes.ts";
export { configureUser } from "./commands/configure-user.ts";
export { purgeSoftDeleted } from "./commands/manage-calling.ts";
export { pushUsersAfterActivation } from "./commands/request-teams-push.ts";
export { teamsPushJob } from "./jobs/teams-push.job.ts";
export { usersImportJob } from "./jobs/users-import.job.ts";
