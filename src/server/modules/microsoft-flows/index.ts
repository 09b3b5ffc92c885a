export { advanceFlow, endFlow, prepareSignInFlow, storeFlow } from "./microsoft-flow.ts";
export {
  findFinishingFlow,
  findFlowByState,
  type MicrosoftFlowRow,
} from "./microsoft-flows.queries.ts";
export {
  publicMicrosoftStep,
  type RedirectClient,
  type SignInRedirect,
  type SignInRedirectHandler,
  type SignInRedirectHandlers,
  type SignInRedirectOutcome,
  signInRedirectRoutes,
} from "./microsoft-flows.routes.ts";
