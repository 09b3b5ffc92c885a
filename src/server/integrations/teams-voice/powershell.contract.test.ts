/**
 * The PowerShell adapter against a real Microsoft 365 tenant (skipped unless configured): real
 * pwsh, the MicrosoftTeams module and the platform's Entra application. It creates objects whose
 * names start with `tg-contract-` and removes them again; it reads, but never changes, the
 * tenant's global music on hold. docs/direct-routing.md says how to run it.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caught } from "../../../../test/caught.ts";
import { childProcessEnv, parseEnv } from "../../env.ts";
import { type Microsoft, microsoftFromEnv } from "../microsoft/port.ts";
import type { TeamsVoice } from "./port.ts";
import { createPowerShellTeamsVoice, spawnPowerShell } from "./powershell.ts";

const source = process.env;
const tenantId = source.TEAMS_CONTRACT_TENANT_ID;
/** An activated derived trunk of the tenant (optional: without it, routes are not exercised). */
const trunk = source.TEAMS_CONTRACT_TRUNK;
/** A user with Teams Phone in the tenant (optional: without it, grants are not exercised). */
const user = source.TEAMS_CONTRACT_USER;
const name = `tg-contract-${randomBytes(3).toString("hex")}`;
const minutes = (n: number) => n * 60_000;

let microsoft: Microsoft;
let voice: TeamsVoice;

/** Microsoft applies grants asynchronously: asks again until `check` holds or time runs out. */
async function eventually(check: () => Promise<boolean>, ms = minutes(3)): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("Microsoft did not apply the change in time");
    await new Promise((r) => setTimeout(r, 15_000));
  }
}

describe.skipIf(!tenantId)("the PowerShell adapter against a real tenant", () => {
  beforeAll(() => {
    const parsed = parseEnv(source);
    if (!parsed.ok) throw new Error(parsed.problems.join("; "));
    const configured = microsoftFromEnv(parsed.env);
    if (!configured) throw new Error("Set MS_CLIENT_ID and MS_CLIENT_SECRET");
    microsoft = configured;
    voice = createPowerShellTeamsVoice({
      microsoft,
      run: spawnPowerShell({
        path: parsed.env.TEAMS_POWERSHELL_PATH,
        baseEnv: childProcessEnv(),
        timeoutMs: minutes(4),
      }),
    });
  });
  afterAll(async () => {
    if (!voice) return;
    const t = tenantId!;
    if (user) {
      await voice.grantVoiceRoutingPolicy(t, user, null).catch(() => {});
      await voice.grantTenantDialPlan(t, user, null).catch(() => {});
    }
    await voice.removeVoiceRoute(t, name).catch(() => {});
    await voice.removeVoiceRoutingPolicy(t, name).catch(() => {});
    await voice.removeTenantDialPlan(t, name).catch(() => {});
    await voice.removePstnUsage(t, name).catch(() => {});
    await microsoft.close();
  }, minutes(10));

  it(
    "adds and lists a PSTN usage, idempotently",
    async () => {
      await voice.addPstnUsage(tenantId!, name);
      await voice.addPstnUsage(tenantId!, name);
      expect((await voice.listPstnUsages(tenantId!)).filter((u) => u === name)).toHaveLength(1);
    },
    minutes(5),
  );

  it(
    "creates, conflicts on, replaces and reads a voice routing policy",
    async () => {
      expect(await voice.getVoiceRoutingPolicy(tenantId!, name)).toBeNull();
      const policy = { identity: name, onlinePstnUsages: [name] };
      expect(await voice.createVoiceRoutingPolicy(tenantId!, policy)).toEqual(policy);
      expect((await caught(voice.createVoiceRoutingPolicy(tenantId!, policy))).code).toBe(
        "conflict",
      );
      const described = { ...policy, description: "Teamgate contract test" };
      expect(await voice.setVoiceRoutingPolicy(tenantId!, described)).toEqual(described);
      expect(await voice.getVoiceRoutingPolicy(tenantId!, name)).toEqual(described);
    },
    minutes(8),
  );

  it(
    "creates, replaces and reads a tenant dial plan with normalization rules",
    async () => {
      const rule = {
        name: "Ext",
        pattern: "^(\\d{4})$",
        translation: "+99912345$1",
        isInternalExtension: true,
      };
      const created = await voice.createTenantDialPlan(tenantId!, {
        identity: name,
        normalizationRules: [rule],
      });
      expect(created.normalizationRules).toContainEqual(rule);
      const replaced = await voice.setTenantDialPlan(tenantId!, {
        identity: name,
        description: "Teamgate contract test",
        normalizationRules: [{ ...rule, isInternalExtension: false }],
      });
      expect(replaced.normalizationRules).toEqual([{ ...rule, isInternalExtension: false }]);
      expect((await voice.getTenantDialPlan(tenantId!, name))?.description).toBe(
        "Teamgate contract test",
      );
    },
    minutes(8),
  );

  it(
    "reads the global music on hold",
    async () => {
      expect(["Enabled", "Disabled", "UserOverride"]).toContain(
        await voice.getGlobalMusicOnHold(tenantId!),
      );
    },
    minutes(3),
  );

  it(
    "reports a name that is no derived trunk as pending",
    async () => {
      expect(await voice.getDomainActivation(tenantId!, `${name}.invalid`)).toBe("pending");
    },
    minutes(4),
  );

  it.skipIf(!trunk)(
    "finds the derived trunk active and keeps a voice route on it",
    async () => {
      expect(await voice.getDomainActivation(tenantId!, trunk!)).toBe("active");
      const route = {
        identity: name,
        numberPattern: "^\\+999\\d{12}$",
        onlinePstnGatewayList: [trunk!.toLowerCase()],
        onlinePstnUsages: [name],
        priority: 99,
      };
      expect(await voice.createVoiceRoute(tenantId!, route)).toMatchObject(route);
      expect((await caught(voice.createVoiceRoute(tenantId!, route))).code).toBe("conflict");
      expect((await voice.setVoiceRoute(tenantId!, { ...route, priority: 98 })).priority).toBe(98);
      await voice.removeVoiceRoute(tenantId!, name);
      expect(await voice.getVoiceRoute(tenantId!, name)).toBeNull();
    },
    minutes(10),
  );

  it.skipIf(!user)(
    "grants the policy and dial plan to a user and shows them on the online user",
    async () => {
      expect(await voice.getOnlineUser(tenantId!, user!)).not.toBeNull();
      await voice.grantVoiceRoutingPolicy(tenantId!, user!, name);
      await voice.grantTenantDialPlan(tenantId!, user!, name);
      await eventually(async () => {
        const online = await voice.getOnlineUser(tenantId!, user!);
        return online?.onlineVoiceRoutingPolicy === name && online.tenantDialPlan === name;
      });
      await voice.grantVoiceRoutingPolicy(tenantId!, user!, null);
      await voice.grantTenantDialPlan(tenantId!, user!, null);
    },
    minutes(10),
  );
});
