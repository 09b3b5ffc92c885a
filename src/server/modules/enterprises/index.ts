export { createEnterprise } from "./commands/create-enterprise.ts";
export { auditPathOf } from "./commands/enterprise-rules.ts";
export { resendEnterpriseInvitation } from "./commands/resend-enterprise-invitation.ts";
export { setEnterpriseStatus } from "./commands/set-enterprise-status.ts";
export { updateEnterprise } from "./commands/update-enterprise.ts";
export {
  getInvitedEnterprise,
  verifyEnterpriseInvitation,
} from "./commands/verify-enterprise-invitation.ts";
export {
  enterpriseAbilities,
  enterprisePosition,
  missingAppPermissionsOf,
  registeredTenantOf,
  unregisteredReason,
} from "./enterprises.policy.ts";
export { presentEnterprise } from "./enterprises.presenter.ts";
export {
  type EnterpriseRecord,
  type EnterpriseRow,
  enterpriseRecordOf,
  findEnterprise,
  getEnterprise,
  listEnterprises,
} from "./enterprises.queries.ts";
export { enterprisesRoutes } from "./enterprises.routes.ts";
