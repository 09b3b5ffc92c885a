import type { PbxTypeView, RegionView } from "../../../shared/contracts/catalog.ts";
import type { pbxTypes, regions } from "../../db/schema/index.ts";

export function presentRegion(r: typeof regions.$inferSelect): RegionView {
  return {
    id: r.id,
    name: r.name,
    carrierFqdn: r.carrierFqdn,
    status: r.status,
    createdAt: r.createdAt.toISOString(),
  };
}

export function presentPbxType(t: typeof pbxTypes.$inferSelect): PbxTypeView {
  return {
    id: t.id,
    name: t.name,
    label: t.label,
    isDefault: t.isDefault,
    isDisabled: t.isDisabled,
    hostingType: t.hostingType,
    defaultDnsLookup: t.defaultDnsLookup,
    defaultTransport: t.defaultTransport,
    defaultVoicemailFeatureCode: t.defaultVoicemailFeatureCode,
    hasApi: t.hasApi,
    createdAt: t.createdAt.toISOString(),
  };
}
