import { z } from "zod";

/** What a Direct Routing run is given: the enterprise and its registered tenant. */
export const directRoutingInput = z.object({ enterpriseId: z.string(), tenantId: z.string() });
export type DirectRoutingInput = z.infer<typeof directRoutingInput>;
