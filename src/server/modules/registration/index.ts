export { completeRegistrationConsent } from "./commands/complete-registration-consent.ts";
export { completeRegistrationSignIn } from "./commands/complete-registration-sign-in.ts";
export { startRegistrationSignIn } from "./commands/start-registration-sign-in.ts";
export { microsoftCallbackRoutes, registrationRoutes } from "./registration.routes.ts";
export { teamsAdministratorRoleId } from "./teams-admin-role.ts";
export { teamsAdminRoleWorkflow } from "./teams-admin-role.workflow.ts";
