export { completeRegistrationConsent } from "./commands/complete-registration-consent.ts";
export { completeRegistrationSignIn } from "./commands/complete-registration-sign-in.ts";
export { startRegistrationSignIn } from "./commands/start-registration-sign-in.ts";
export {
  registrationAdminConsentRedirect,
  registrationRoutes,
  registrationSignInRedirect,
} from "./registration.routes.ts";
