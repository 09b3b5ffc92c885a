import type { MusicOnHold } from "../../../integrations/teams-voice/port.ts";
import { defineStep } from "../../../workflows/define.ts";
import type { DirectRoutingInput } from "../direct-routing.input.ts";
import { directRoutingPorts, enterpriseSettingsOf } from "../direct-routing.queries.ts";

/**
 * With the PBX's music on hold, guarantees Teams plays none of its own (the global calling
 * policy's music on hold off), so a held caller hears the PBX. What it was is kept for undo.
 */
export const turnOffTeamsMusicOnHold = defineStep<DirectRoutingInput>({
  id: "direct-routing.music-on-hold",
  title: "Leave music on hold to the PBX",
  async run({ services, input, io }) {
    const enterprise = await enterpriseSettingsOf(services.db, input.enterpriseId);
    if (!enterprise.pbxMusicOnHold) return undefined;
    const { teamsVoice } = directRoutingPorts(services);
    const before = await io.once("before", () => teamsVoice.getGlobalMusicOnHold(input.tenantId));
    if (before !== "Disabled") await teamsVoice.setGlobalMusicOnHold(input.tenantId, "Disabled");
    return undefined;
  },
  async check({ services, input }) {
    const enterprise = await enterpriseSettingsOf(services.db, input.enterpriseId);
    if (!enterprise.pbxMusicOnHold) return [];
    const { teamsVoice } = directRoutingPorts(services);
    const now = await teamsVoice.getGlobalMusicOnHold(input.tenantId);
    return now === "Disabled"
      ? []
      : [`Teams plays its own music on hold again (global calling policy: ${now}), not the PBX's`];
  },
  async undo({ services, input, io }) {
    const { teamsVoice } = directRoutingPorts(services);
    const before = await io.once<MusicOnHold | null>("before", async () => null);
    if (before && before !== "Disabled")
      await teamsVoice.setGlobalMusicOnHold(input.tenantId, before);
  },
});
