import { and, eq } from "drizzle-orm";
import { directRoutes, enterprises } from "../../../db/schema/index.ts";
import { defineStep } from "../../../workflows/define.ts";
import { pushUsersAfterActivation } from "../../calling/index.ts";
import type { DirectRoutingInput } from "../direct-routing.input.ts";
import { routesOf } from "../direct-routing.queries.ts";

/** Guarantees the derived trunks are `active` and a registered enterprise becomes `active`. */
export const activateDirectRouting = defineStep<DirectRoutingInput>({
  id: "direct-routing.activate",
  title: "Start routing calls",
  async run() {
    return undefined;
  },
  async finish(ctx, { input }) {
    const { tx, now } = ctx;
    await tx
      .update(directRoutes)
      .set({ status: "active", updatedAt: now })
      .where(eq(directRoutes.enterpriseId, input.enterpriseId));
    const [before] = await tx
      .select({ status: enterprises.status, name: enterprises.name })
      .from(enterprises)
      .where(eq(enterprises.id, input.enterpriseId));
    const [after] = await tx
      .update(enterprises)
      .set({ status: "active", updatedAt: now })
      .where(and(eq(enterprises.id, input.enterpriseId), eq(enterprises.status, "registered")))
      .returning({
        status: enterprises.status,
        resellerId: enterprises.resellerId,
        masterResellerId: enterprises.masterResellerId,
      });
    const routes = await routesOf(tx, input.enterpriseId);
    await ctx.emit("enterprise.direct_routing_activated", {
      subject: { type: "enterprise", id: input.enterpriseId, label: before?.name ?? null },
      path: after
        ? {
            masterResellerId: after.masterResellerId,
            resellerId: after.resellerId,
            enterpriseId: input.enterpriseId,
          }
        : { enterpriseId: input.enterpriseId },
      payload: {
        before: { status: before?.status ?? "registered" },
        after: {
          status: after?.status ?? before?.status ?? "registered",
          fqdns: routes.map((r) => r.fqdn),
        },
      },
    });
    // Users configured before Teams could route their calls get their numbers now.
    await pushUsersAfterActivation(ctx, input.enterpriseId);
  },
  async undo({ services, input }) {
    const now = services.now();
    await services.db
      .update(directRoutes)
      .set({ status: "removing", updatedAt: now })
      .where(eq(directRoutes.enterpriseId, input.enterpriseId));
    // Calls no longer reach the PBX: back to registered (a disabled enterprise stays disabled).
    await services.db
      .update(enterprises)
      .set({ status: "registered", updatedAt: now })
      .where(and(eq(enterprises.id, input.enterpriseId), eq(enterprises.status, "active")));
  },
});
