import { and, eq, isNull } from "drizzle-orm";
import { enterprises } from "../../../db/schema/index.ts";
import type { MusicOnHold } from "../../../integrations/teams-voice/port.ts";
import type { Services } from "../../../services.ts";
import { defineStep } from "../../../workflows/define.ts";
import type { DirectRoutingInput } from "../direct-routing.input.ts";
import { directRoutingPorts, enterpriseSettingsOf } from "../direct-routing.queries.ts";

/**
 * Puts back the tenant's own music on hold (`before`, kept on the enterprise when Direct Routing
 * turned it off; null: it never did) and forgets it.
 */
async function restoreTeamsMusicOnHold(
  services: Services,
  input: DirectRoutingInput,
  before: MusicOnHold | null,
) {
  if (!before) return;
  const { teamsVoice } = directRoutingPorts(services);
  if (before !== "Disabled" && (await teamsVoice.getGlobalMusicOnHold(input.tenantId)) !== before)
    await teamsVoice.setGlobalMusicOnHold(input.tenantId, before);
  await services.db
    .update(enterprises)
    .set({ teamsMusicOnHoldBefore: null })
    .where(eq(enterprises.id, input.enterpriseId));
}

/**
 * With the PBX's music on hold, guarantees Teams plays none of its own (the global calling
 * policy's music on hold off), so a held caller hears the PBX; the tenant's own setting is kept
 * on the enterprise the first time and put back when the PBX's music on hold is turned off (or
 * Direct Routing removed).
 */
export const turnOffTeamsMusicOnHold = defineStep<DirectRoutingInput>({
  id: "direct-routing.music-on-hold",
  title: "Leave music on hold to the PBX",
  async run({ services, input, io }) {
    const enterprise = await enterpriseSettingsOf(services.db, input.enterpriseId);
    if (!enterprise.pbxMusicOnHold) {
      await restoreTeamsMusicOnHold(services, input, enterprise.teamsMusicOnHoldBefore);
      return undefined;
    }
    const { teamsVoice } = directRoutingPorts(services);
    const now = await io.once("before", () => teamsVoice.getGlobalMusicOnHold(input.tenantId));
    if (now !== "Disabled") await teamsVoice.setGlobalMusicOnHold(input.tenantId, "Disabled");
    return undefined;
  },
  /** The first value seen is the tenant's own; later runs and repairs keep it. */
  async finish(ctx, { input, memo }) {
    const before = memo.before as MusicOnHold | undefined;
    if (!before) return;
    await ctx.tx
      .update(enterprises)
      .set({ teamsMusicOnHoldBefore: before })
      .where(
        and(eq(enterprises.id, input.enterpriseId), isNull(enterprises.teamsMusicOnHoldBefore)),
      );
  },
  async check({ services, input }) {
    const enterprise = await enterpriseSettingsOf(services.db, input.enterpriseId);
    // Not applied yet (turned on since the set-up): the set-up's next run applies it.
    if (!enterprise.pbxMusicOnHold || !enterprise.teamsMusicOnHoldBefore) return [];
    const { teamsVoice } = directRoutingPorts(services);
    const now = await teamsVoice.getGlobalMusicOnHold(input.tenantId);
    return now === "Disabled"
      ? []
      : [`Teams plays its own music on hold again (global calling policy: ${now}), not the PBX's`];
  },
  async undo({ services, input }) {
    const enterprise = await enterpriseSettingsOf(services.db, input.enterpriseId);
    await restoreTeamsMusicOnHold(services, input, enterprise.teamsMusicOnHoldBefore);
  },
});
