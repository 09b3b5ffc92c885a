import { defineWorkflow } from "../../workflows/define.ts";
import { directRoutingInput } from "./direct-routing.input.ts";
import { activateDirectRouting } from "./steps/activate.ts";
import { createActivationUsers } from "./steps/activation-users.ts";
import { addDomains } from "./steps/add-domains.ts";
import { allocateTrunks } from "./steps/allocate-trunks.ts";
import { createDialPlan } from "./steps/dial-plan.ts";
import { turnOffTeamsMusicOnHold } from "./steps/music-on-hold.ts";
import { createPstnUsage } from "./steps/pstn-usage.ts";
import { publishTxt } from "./steps/publish-txt.ts";
import { retireTrunks } from "./steps/retire-trunks.ts";
import { verifyDomains } from "./steps/verify-domains.ts";
import { createVoiceRoute } from "./steps/voice-route.ts";
import { createVoiceRoutingPolicy } from "./steps/voice-routing-policy.ts";
import { waitForActivation } from "./steps/wait-activation.ts";

/**
 * Direct Routing for one enterprise (SPEC §3.5): a derived trunk per selected SBC region, its
 * domain added, verified and activated in the customer's tenant, then the Teams voice objects
 * that send the tenant's calls to it. Each step looks before it creates, so a rerun after a crash
 * or a retry after a failure repeats no Microsoft object; undo removes them in reverse. A set-up
 * run again after the regions changed extends the voice route in place and retires the trunks of
 * the regions taken off.
 */
export const directRoutingWorkflow = defineWorkflow({
  name: "direct-routing.provision",
  subject: "enterprise",
  input: directRoutingInput,
  steps: [
    allocateTrunks,
    addDomains,
    publishTxt,
    verifyDomains,
    createActivationUsers,
    waitForActivation,
    createPstnUsage,
    createVoiceRoute,
    createVoiceRoutingPolicy,
    createDialPlan,
    turnOffTeamsMusicOnHold,
    retireTrunks,
    activateDirectRouting,
  ],
});
