/** Kept for complete-registration-consent.ts until it imports it from microsoft-flows/index.ts. */
export { endFlow } from "../microsoft-flows/index.ts";
