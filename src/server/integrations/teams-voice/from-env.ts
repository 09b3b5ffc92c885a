import { childProcessEnv, type Env } from "../../env.ts";
import type { Microsoft } from "../microsoft/port.ts";
import type { RetryPolicy } from "../microsoft/teams-admin-api.ts";
import { createEmulatorTeamsVoice } from "./emulator.ts";
import type { TeamsVoice } from "./port.ts";
import { createPowerShellTeamsVoice, spawnPowerShell } from "./powershell.ts";

/**
 * The Teams voice adapter `TEAMS_VOICE_ADAPTER` names (default: `emulator` when the platform talks
 * to the bundled emulator, `powershell` otherwise), or null without a Microsoft application: both
 * adapters act with its app-only tokens.
 */
export function teamsVoiceFromEnv(
  env: Env,
  microsoft: Microsoft | null,
  options: { talksToEmulator: boolean; caPem?: string | undefined; retry?: Partial<RetryPolicy> },
): TeamsVoice | null {
  if (!microsoft) return null;
  const adapter = env.TEAMS_VOICE_ADAPTER ?? (options.talksToEmulator ? "emulator" : "powershell");
  if (adapter === "emulator")
    return createEmulatorTeamsVoice({
      microsoft,
      graphBase: env.MS_GRAPH_BASE,
      caPem: options.caPem,
      ...(options.retry ? { retry: options.retry } : {}),
    });
  return createPowerShellTeamsVoice({
    microsoft,
    run: spawnPowerShell({ path: env.TEAMS_POWERSHELL_PATH, baseEnv: childProcessEnv() }),
  });
}
