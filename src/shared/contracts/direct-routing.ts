import type { WorkflowRunView } from "./workflows.ts";

/** How far Microsoft has come with a derived trunk domain (SPEC §2.4). */
export type DomainState = "pending" | "added" | "txt_published" | "verified" | "activated";

/** One derived trunk of the enterprise: the FQDN Microsoft sends its calls to in one SBC region. */
export interface DirectRouteView {
  regionId: string;
  regionName: string;
  fqdn: string;
  /** The primary region first, then the failover order of the voice route. */
  role: "primary" | "failover";
  priority: number;
  domainState: DomainState;
  status: "provisioning" | "active" | "removing";
}

/** What the viewer may do here; the page offers exactly these. */
export type DirectRoutingAbility =
  | "direct_routing.set_up"
  | "direct_routing.retry"
  | "direct_routing.remove"
  | "direct_routing.check"
  | "direct_routing.repair";

/** `GET /enterprises/{id}/direct-routing`: the derived trunks and the latest run, step by step. */
export interface DirectRoutingView {
  routes: DirectRouteView[];
  run: WorkflowRunView | null;
  /**
   * Application permissions Direct Routing needs that the tenant has not granted (it registered
   * before they were asked for): a Global Administrator must grant them first.
   */
  missingPermissions: string[];
  /**
   * What changed on the enterprise since the finished set-up (its SBC regions, the PBX's music on
   * hold): "Apply the changes" runs the set-up again, extending the voice route in place.
   */
  pendingChanges: string[];
  /** Why Direct Routing cannot start now (registration, permissions, the Teams Administrator role), or null. */
  blockedBy: string | null;
  abilities: DirectRoutingAbility[];
}
