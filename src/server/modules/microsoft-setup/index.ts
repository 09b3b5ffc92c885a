export {
  type TeamsAdminRoleAssignment,
  teamsAdminRoleWorkflow,
} from "./teams-admin-role.workflow.ts";
