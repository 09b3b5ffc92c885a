import { randomBytes } from "node:crypto";
import { servicePlans } from "../../../integrations/microsoft/port.ts";
import type { SubscribedSku } from "../../../integrations/microsoft/tenant-admin.ts";
import { AppError } from "../../../lib/errors.ts";
import { defineStep } from "../../../workflows/define.ts";
import type { DirectRoutingInput } from "../direct-routing.input.ts";
import { directRoutingPorts, routesOf, selectedRoutesOf } from "../direct-routing.queries.ts";
import { activationUserOf } from "./names.ts";
import { removeActivationUser } from "./trunk-removal.ts";

/**
 * Licences must name a usage location. The account is disabled and never signs in or calls, so the
 * location only satisfies the licensing check.
 */
const usageLocation = "US";

const teamsPlans = new Set<string>(servicePlans.teams);
const phonePlans = new Set<string>(servicePlans.teamsPhone);

/** A licence with Teams and a free unit, preferring one without Teams Phone (cheaper), or 409. */
export function activationSkuOf(skus: SubscribedSku[]): SubscribedSku {
  const withTeams = skus.filter(
    (s) => s.available > 0 && s.servicePlanIds.some((p) => teamsPlans.has(p)),
  );
  const pick =
    withTeams.find((s) => !s.servicePlanIds.some((p) => phonePlans.has(p))) ?? withTeams[0];
  if (!pick)
    throw new AppError(
      "invalid_state",
      "The tenant has no free Microsoft Teams licence for the user that activates each derived trunk domain; free or buy one, then retry",
    );
  return pick;
}

/** A password Microsoft's complexity rules accept; never stored, the account stays disabled. */
function throwawayPassword(): string {
  return `${randomBytes(24).toString("base64url")}aA1!`;
}

/**
 * Guarantees a licensed user on each derived trunk domain, which is how Microsoft activates a
 * domain for Direct Routing in the carrier model. The user is created disabled; it is found again,
 * not created twice, when the step runs again.
 */
export const createActivationUsers = defineStep<DirectRoutingInput>({
  id: "direct-routing.activation-users",
  title: "Create and license the user that activates each domain",
  async run({ services, input, io }) {
    const { microsoft } = directRoutingPorts(services);
    for (const route of await selectedRoutesOf(services.db, input.enterpriseId)) {
      const wanted = activationUserOf(route.fqdn);
      const user =
        (await microsoft.findUserByPrincipalName(input.tenantId, wanted.userPrincipalName)) ??
        (await io.once(`user:${route.fqdn}`, () =>
          microsoft.createUser(input.tenantId, {
            ...wanted,
            usageLocation,
            password: throwawayPassword(),
          }),
        ));
      if (user.licenseSkuIds.length > 0) continue;
      const sku = activationSkuOf(await microsoft.listSubscribedSkus(input.tenantId));
      await microsoft.assignLicense(input.tenantId, user.id, sku.skuId);
    }
    return undefined;
  },
  async check({ services, input }) {
    const { microsoft } = directRoutingPorts(services);
    const differences: string[] = [];
    for (const route of await selectedRoutesOf(services.db, input.enterpriseId)) {
      const { userPrincipalName } = activationUserOf(route.fqdn);
      const user = await microsoft.findUserByPrincipalName(input.tenantId, userPrincipalName);
      if (!user)
        differences.push(`The user ${userPrincipalName} that activates ${route.fqdn} is gone`);
      else if (user.licenseSkuIds.length === 0)
        differences.push(
          `The user ${userPrincipalName} that activates ${route.fqdn} has no licence`,
        );
    }
    return differences;
  },
  async undo({ services, input }) {
    const ports = directRoutingPorts(services);
    for (const route of await routesOf(services.db, input.enterpriseId))
      await removeActivationUser(ports, input.tenantId, route.fqdn);
  },
});
