import type {
  GatewayEnterprise,
  GatewayPbx,
  GatewaySnapshot,
  GatewayUser,
} from "../shared/contracts/gateway.ts";

/** Builders of feed objects for the gateway's unit tests (valid against the contract). */

export function buildEnterprise(overrides: Partial<GatewayEnterprise> = {}): GatewayEnterprise {
  const enterpriseId = overrides.enterpriseId ?? "ent_1";
  return {
    enterpriseId,
    name: "Acme",
    tenantId: "00000000-0000-0000-0000-000000000001",
    pbxMusicOnHold: false,
    trunks: [
      { fqdn: `${enterpriseId.replace("_", "")}.eu.sbc.example`, priority: 0, status: "active" },
    ],
    ...overrides,
  };
}

export function buildPbx(overrides: Partial<GatewayPbx> = {}): GatewayPbx {
  return {
    pbxId: "pbx_1",
    enterpriseId: "ent_1",
    locationName: "HQ",
    dnsLookup: "A",
    sipDomain: "pbx.acme.example",
    sipProxy: null,
    transport: "udp",
    registrationExpiry: 300,
    codecs: ["PCMU"],
    dtmfMode: "rfc2833",
    voicemailFeatureCode: null,
    ...overrides,
  };
}

/** A PBX user with a device whose id follows the user's (`usr_1` → `dev_1`). */
export function buildUser(overrides: Partial<GatewayUser> = {}): GatewayUser {
  const userId = overrides.userId ?? "usr_1";
  const n = userId.replace(/\D/g, "") || "1";
  return {
    userId,
    enterpriseId: "ent_1",
    displayName: `User ${n}`,
    service: "pbx",
    pbxId: "pbx_1",
    sipUser: `${100 + Number(n)}@pbx.acme.example`,
    phoneNumber: `+3211000${String(n).padStart(3, "0")}`,
    forwardedDids: [],
    callerNamePolicy: "TRANSPARENT",
    callerName: null,
    forwardedCallerId: "USER_CALLER_ID",
    enabled: true,
    device: { deviceId: `dev_${n}`, sipAuthId: `auth${n}`, password: `secret-${n}` },
    ...overrides,
  };
}

export function buildSnapshot(overrides: Partial<GatewaySnapshot> = {}): GatewaySnapshot {
  return {
    cursor: "100.0",
    regionId: "reg_1",
    nodeId: "gwn_1",
    enterprises: [buildEnterprise()],
    pbxes: [buildPbx()],
    users: [buildUser(), buildUser({ userId: "usr_2" })],
    ...overrides,
  };
}
