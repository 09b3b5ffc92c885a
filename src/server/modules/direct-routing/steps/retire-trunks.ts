import { and, eq } from "drizzle-orm";
import { directRoutes } from "../../../db/schema/index.ts";
import { defineStep } from "../../../workflows/define.ts";
import type { DirectRoutingInput } from "../direct-routing.input.ts";
import { directRoutingPorts, routesOf } from "../direct-routing.queries.ts";
import { removeActivationUser, unpublishVerificationRecord } from "./trunk-removal.ts";

/**
 * Guarantees nothing is left of the trunks of regions taken off the enterprise: once the voice
 * route no longer names them, their activation users, TXT records and domains are removed (each
 * looked up first), then their rows.
 */
export const retireTrunks = defineStep<DirectRoutingInput>({
  id: "direct-routing.retire-trunks",
  title: "Retire the trunks of regions no longer selected",
  async run({ services, input }) {
    const ports = directRoutingPorts(services);
    const retired = (await routesOf(services.db, input.enterpriseId)).filter(
      (r) => r.status === "removing",
    );
    // What undo does for every trunk, last step first, for these trunks only.
    for (const { fqdn } of retired) {
      await removeActivationUser(ports, input.tenantId, fqdn);
      await unpublishVerificationRecord(ports, input.tenantId, fqdn);
      await ports.microsoft.removeDomain(input.tenantId, fqdn);
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
