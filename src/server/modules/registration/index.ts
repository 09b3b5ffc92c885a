export { completeRegistrationConsent } from "./commands/complete-registration-consent.ts";
export { completeRegistrationSignIn } from "./commands/complete-registration-sign-in.ts";
export { startRegistrationSignIn } from "./commands/start-registration-sign-in.ts";
export { assignTeamsAdminRoleJob } from "./jobs/assign-teams-admin-role.job.ts";
export {
  adminConsentRedirectRoutes,
  registrationRoutes,
  registrationSignInRedirect,
} from "./registration.routes.ts";
export { teamsAdministratorRoleId } from "./teams-admin-role.ts";
