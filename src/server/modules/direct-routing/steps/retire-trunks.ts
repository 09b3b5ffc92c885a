import { and, eq } from "drizzle-orm";
import { directRoutes } from "../../../db/schema/index.ts";
import { defineStep } from "../../../workflows/define.ts";
import type { DirectRoutingInput } from "../direct-routing.input.ts";
import { directRoutingPorts, routesOf } from "../direct-routing.queries.ts";
import { activationUserOf } from "./names.ts";

/**
 * Guarantees nothing is left of the trunks of regions taken off the enterprise: once the voice
 * route no longer names them, their activation users, TXT records and domains are removed (each
 * looked up first), then their rows.
 */
export const retireTrunks = defineStep<DirectRoutingInput>({
  id: "direct-routing.retire-trunks",
  title: "Retire the trunks of regions no longer selected",
  async run({ services, input }) {
    const { microsoft, dns } = directRoutingPorts(services);
    const retired = (await routesOf(services.db, input.enterpriseId)).filter(
      (r) => r.status === "removing",
    );
    for (const route of retired) {
      const { userPrincipalName } = activationUserOf(route.fqdn);
      const user = await microsoft.findUserByPrincipalName(input.tenantId, userPrincipalName);
      if (user) await microsoft.removeUser(input.tenantId, user.id);
      if (await microsoft.getDomain(input.tenantId, route.fqdn)) {
        const text = await microsoft.domainVerificationText(input.tenantId, route.fqdn);
        await dns.removeTxt(route.fqdn, text);
        await microsoft.removeDomain(input.tenantId, route.fqdn);
      }
    }
    return undefined;
  },
  async finish(ctx, { input }) {
    await ctx.tx
      .delete(directRoutes)
      .where(
        and(eq(directRoutes.enterpriseId, input.enterpriseId), eq(directRoutes.status, "removing")),
      );
  },
});
