import { infiniteQueryOptions, queryOptions } from "@tanstack/react-query";
import type {
  CallDetailView,
  CallDirection,
  CallDisposition,
  CallListResponse,
} from "../../../shared/contracts/calls.ts";
import { api } from "../../api/client.ts";

const root = "calls";
const pathOf = (enterpriseId: string, rest = "") =>
  `/enterprises/${encodeURIComponent(enterpriseId)}/calls${rest}`;

/** What the calls list is filtered by; empty strings and undefined mean no filter. */
export interface CallListFilter {
  /** A day, YYYY-MM-DD (UTC), inclusive. */
  from: string;
  /** A day, YYYY-MM-DD (UTC), inclusive. */
  to: string;
  direction: CallDirection | undefined;
  disposition: CallDisposition | undefined;
  /** Part of the caller's or callee's number. */
  q: string;
  /** One user's calls, with the name shown beside the filter. */
  user: { id: string; name: string } | undefined;
}

export const noCallFilter: CallListFilter = {
  from: "",
  to: "",
  direction: undefined,
  disposition: undefined,
  q: "",
  user: undefined,
};

/** The enterprise's calls, newest first, a page at a time ("Load more" follows the cursor). */
export function callListQuery(enterpriseId: string, filter: CallListFilter) {
  return infiniteQueryOptions({
    queryKey: [root, enterpriseId, "list", filter],
    queryFn: ({ pageParam, signal }) =>
      api.get<CallListResponse>(
        pathOf(enterpriseId),
        {
          cursor: pageParam,
          from: filter.from,
          to: filter.to,
          direction: filter.direction,
          disposition: filter.disposition,
          q: filter.q,
          userId: filter.user?.id,
        },
        signal,
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

/** One call: its legs and its SIP messages. */
export function callQuery(enterpriseId: string, callId: string) {
  return queryOptions({
    queryKey: [root, enterpriseId, "call", callId],
    queryFn: ({ signal }) =>
      api.get<CallDetailView>(pathOf(enterpriseId, `/${encodeURIComponent(callId)}`), {}, signal),
  });
}
