export {
  type ManagedKind,
  type Organization,
  organizationAbilities,
  organizationPosition,
} from "./organizations.policy.ts";
export { presentAdmin, presentOrganization } from "./organizations.presenter.ts";
export {
  describeOrganization,
  describeOrganizations,
  findOrganization,
  getEntitlements,
  type OrganizationRecord,
} from "./organizations.queries.ts";
export { organizationsRoutes } from "./organizations.routes.ts";
