import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import {
  type CallDetailView,
  CallIdParam,
  CallListQuery,
  type CallListResponse,
  encodeCallCursor,
} from "../../../shared/contracts/calls.ts";
import { enterpriseRoute } from "../../http/enterprise-route.ts";
import type { Services } from "../../services.ts";
import { presentCall, presentSipMessage } from "./calls.presenter.ts";
import { getCallLegs, listCallMessages, listCalls } from "./calls.queries.ts";

/** An enterprise's call records and SIP traces (SPEC §2.7): the list and one call. */
export function callsRoutes(services: Services): FastifyPluginAsyncZod {
  const { db } = services;
  const tags = ["calls"];
  return async (app) => {
    enterpriseRoute(app, services, "GET", "/enterprises/:enterpriseId/calls", {
      summary:
        "The enterprise's call records (one per call leg), newest first, by cursor; filters by time, direction, disposition, number and user",
      tags,
      may: "calls.read",
      querystring: CallListQuery,
      handler: async ({ enterprise, query }): Promise<CallListResponse> => {
        const { rows, hasMore } = await listCalls(db, enterprise, query);
        const last = rows.at(-1);
        return {
          items: rows.map(presentCall),
          pageSize: query.pageSize,
          nextCursor:
            hasMore && last
              ? encodeCallCursor({ startedAtMicros: last.startedAtMicros, id: String(last.id) })
              : null,
        };
      },
    });

    enterpriseRoute(app, services, "GET", "/enterprises/:enterpriseId/calls/:callId", {
      summary: "One call: its legs and its SIP messages in time order",
      tags,
      may: "calls.read",
      params: CallIdParam,
      handler: async ({ enterprise, params }): Promise<CallDetailView> => {
        const legs = await getCallLegs(db, enterprise, params.callId);
        const messages = await listCallMessages(db, legs);
        return {
          callId: params.callId,
          legs: legs.map(presentCall),
          messages: messages.map(presentSipMessage),
        };
      },
    });
  };
}
