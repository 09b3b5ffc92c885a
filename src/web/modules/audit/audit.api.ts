import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import type { AuditEntryView } from "../../../shared/contracts/audit.ts";
import type { Page } from "../../../shared/contracts/common.ts";
import { api } from "../../api/client.ts";
import { type ListSearch, listPageSize } from "../../components/list-search.ts";

/** The audit log of the user's subtree, newest first. */
export function auditQuery(search: ListSearch) {
  return queryOptions({
    queryKey: ["audit", search],
    queryFn: ({ signal }) =>
      api.get<Page<AuditEntryView>>(
        "/audit",
        { page: search.page ?? 1, pageSize: listPageSize, q: search.q },
        signal,
      ),
    placeholderData: keepPreviousData,
  });
}
