import type { PbxAbility, PbxTypeChoice, PbxView } from "../../../shared/contracts/pbx.ts";
import type { PbxRow, PbxTypeRow } from "./pbx.queries.ts";

/** A PBX location as the API shows it: the client secret only as `hasApiClientSecret`. */
export function presentPbx(pbx: PbxRow, type: PbxTypeRow, abilities: PbxAbility[]): PbxView {
  return {
    id: pbx.id,
    enterpriseId: pbx.enterpriseId,
    pbxTypeId: pbx.pbxTypeId,
    pbxTypeName: type.label,
    pbxTypeHasApi: type.hasApi,
    locationName: pbx.locationName,
    dnsLookup: pbx.dnsLookup,
    sipDomain: pbx.sipDomain,
    sipProxy: pbx.sipProxy,
    transport: pbx.transport,
    registrationExpiry: pbx.registrationExpiry,
    codecs: pbx.codecs as PbxView["codecs"],
    dtmfMode: pbx.dtmfMode,
    voicemailFeatureCode: pbx.voicemailFeatureCode,
    callerNamePolicy: pbx.callerNamePolicy,
    callerName: pbx.callerName,
    forwardedCallerId: pbx.forwardedCallerId,
    apiTokenUrl: pbx.apiTokenUrl,
    apiClientId: pbx.apiClientId,
    hasApiClientSecret: pbx.apiClientSecret !== null,
    apiMasqueradingLogin: pbx.apiMasqueradingLogin,
    createdAt: pbx.createdAt.toISOString(),
    updatedAt: pbx.updatedAt.toISOString(),
    abilities,
  };
}

/** A type a new location may have, with the defaults the form starts from. */
export function presentPbxTypeChoice(type: PbxTypeRow): PbxTypeChoice {
  return {
    id: type.id,
    name: type.name,
    label: type.label,
    isDefault: type.isDefault,
    hasApi: type.hasApi,
    defaultDnsLookup: type.defaultDnsLookup,
    defaultTransport: type.defaultTransport,
    defaultVoicemailFeatureCode: type.defaultVoicemailFeatureCode,
  };
}

/**
 * What an event records of a location: every field an audit reader needs, the secret only as
 * whether one is stored (the event log's redaction would drop it anyway; this never hands it over).
 */
export function pbxSnapshot(pbx: PbxRow): Record<string, unknown> {
  const { apiClientSecret, createdAt: _c, updatedAt: _u, ...rest } = pbx;
  return { ...rest, hasApiClientSecret: apiClientSecret !== null };
}
