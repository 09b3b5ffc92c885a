export { describeMicrosoftError } from "./teams-admin-role.ts";
export {
  type TeamsAdminRoleAssignment,
  teamsAdminRoleWorkflow,
} from "./teams-admin-role.workflow.ts";
