export { pendingChangesOf } from "./direct-routing.queries.ts";
export { directRoutingRoutes } from "./direct-routing.routes.ts";
export { directRoutingWorkflow } from "./direct-routing.workflow.ts";
