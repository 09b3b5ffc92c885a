export { permissionsConsentRedirect } from "./commands/grant-new-permissions.ts";
export {
  completeEnterpriseSignIn,
  enterpriseSignInRedirect,
  startEnterpriseSignIn,
} from "./commands/sign-in-with-microsoft.ts";
export {
  findEnterpriseAdminBySession,
  isEnterpriseAdminToken,
  type NewSession,
  openEnterpriseAdminSession,
} from "./enterprise-admin-sessions.ts";
export { overviewOf } from "./enterprise-portal.queries.ts";
export { enterprisePortalRoutes } from "./enterprise-portal.routes.ts";
