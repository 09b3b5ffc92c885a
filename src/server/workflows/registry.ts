import { directRoutingWorkflow } from "../modules/direct-routing/index.ts";
import { teamsAdminRoleWorkflow } from "../modules/microsoft-setup/index.ts";
import type { WorkflowDefinition } from "./define.ts";

/** Every workflow the advance job can run, listed explicitly as the jobs are. */
export const workflows: WorkflowDefinition[] = [teamsAdminRoleWorkflow, directRoutingWorkflow];
