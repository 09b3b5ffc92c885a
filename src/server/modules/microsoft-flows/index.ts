export { type ConsentEffect, consentWaitMs, readConsentEffect } from "./consent-effect.ts";
export {
  adminConsentUrl,
  advanceFlow,
  endFlow,
  prepareAdminConsentFlow,
  prepareSignInFlow,
  signInProofOf,
  storeFlow,
} from "./microsoft-flow.ts";
export {
  findFinishingFlow,
  findFlowByState,
  type MicrosoftFlowRow,
} from "./microsoft-flows.queries.ts";
export {
  type AdminConsentRedirect,
  type AdminConsentRedirectHandler,
  type AdminConsentRedirectHandlers,
  adminConsentRedirectRoutes,
  publicMicrosoftStep,
  type RedirectClient,
  type SignInRedirect,
  type SignInRedirectHandler,
  type SignInRedirectHandlers,
  type SignInRedirectOutcome,
  signInRedirectRoutes,
} from "./microsoft-flows.routes.ts";
