import { and, eq, ne, notInArray, sql } from "drizzle-orm";
import { newId } from "../../../../shared/ids.ts";
import { directRoutes, enterprises } from "../../../db/schema/index.ts";
import { AppError } from "../../../lib/errors.ts";
import { defineStep } from "../../../workflows/define.ts";
import type { DirectRoutingInput } from "../direct-routing.input.ts";
import { enterpriseSettingsOf, selectedRegionsOf } from "../direct-routing.queries.ts";
import { directRoutingLabel, maxFqdnLength } from "../label.ts";

interface Allocation {
  label: string;
  trunks: { regionId: string; fqdn: string; priority: number }[];
}

/**
 * Guarantees one derived trunk FQDN per selected region, `<label>.<carrier trunk FQDN>`, with the
 * region's priority (primary first); the trunks of regions no longer selected become `removing`.
 * The label is the enterprise's own forever: allocated once, lengthened only if another
 * enterprise already holds it.
 */
export const allocateTrunks = defineStep<DirectRoutingInput>({
  id: "direct-routing.allocate",
  title: "Name the derived trunk of each SBC region",
  async run({ services, input, io }) {
    const { db } = services;
    const enterprise = await enterpriseSettingsOf(db, input.enterpriseId);
    const selected = await selectedRegionsOf(db, input.enterpriseId);
    if (selected.length === 0)
      throw new AppError("invalid_state", "The enterprise has no SBC region to route calls to");
    const carriers = selected.map((r) => r.carrierFqdn);
    let label = enterprise.directRoutingLabel;
    for (let extra = 0; !label; extra += 2) {
      const candidate = directRoutingLabel(enterprise, carriers, extra);
      const [taken] = await db
        .select({ id: enterprises.id })
        .from(enterprises)
        .where(
          and(eq(enterprises.directRoutingLabel, candidate), ne(enterprises.id, enterprise.id)),
        );
      if (!taken) label = candidate;
    }
    // The label is kept for ever; a region added later must fit with it.
    const tooLong = selected.find((r) => label.length + 1 + r.carrierFqdn.length > maxFqdnLength);
    if (tooLong)
      throw new AppError(
        "invalid_state",
        `The derived trunk ${label}.${tooLong.carrierFqdn} would be longer than ${maxFqdnLength} characters; choose a region whose carrier trunk FQDN is shorter`,
      );
    const allocation: Allocation = {
      label,
      trunks: selected.map((r, priority) => ({
        regionId: r.regionId,
        fqdn: `${label}.${r.carrierFqdn}`.toLowerCase(),
        priority,
      })),
    };
    await io.once("allocation", async () => allocation);
    return undefined;
  },
  /** The trunks go; the label stays the enterprise's, so a later set-up names them the same. */
  async undo({ services, input }) {
    await services.db.delete(directRoutes).where(eq(directRoutes.enterpriseId, input.enterpriseId));
  },
  async finish(ctx, { input, memo }) {
    const { label, trunks } = memo.allocation as Allocation;
    await ctx.tx
      .update(enterprises)
      .set({ directRoutingLabel: label })
      .where(eq(enterprises.id, input.enterpriseId));
    await ctx.tx
      .insert(directRoutes)
      .values(
        trunks.map((t) => ({
          id: newId("directRoute"),
          enterpriseId: input.enterpriseId,
          ...t,
          createdAt: ctx.now,
          updatedAt: ctx.now,
        })),
      )
      .onConflictDoUpdate({
        target: [directRoutes.enterpriseId, directRoutes.regionId],
        set: {
          priority: sql`excluded.priority`,
          // A region selected again before its trunk was retired is set up again.
          status: sql`CASE WHEN ${directRoutes.status} = 'removing' THEN 'provisioning' ELSE ${directRoutes.status} END`,
          updatedAt: ctx.now,
        },
      });
    // Trunks of regions taken off the enterprise: retired once the route no longer names them.
    const kept = trunks.map((t) => t.regionId);
    await ctx.tx
      .update(directRoutes)
      .set({ status: "removing", updatedAt: ctx.now })
      .where(
        and(
          eq(directRoutes.enterpriseId, input.enterpriseId),
          notInArray(directRoutes.regionId, kept),
        ),
      );
  },
});
