import { keepPreviousData, queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import type {
  AddNumbersBody,
  NumberListResponse,
  NumbersAdded,
  PhoneNumberState,
} from "../../../shared/contracts/numbers.ts";
import { api } from "../../api/client.ts";
import { listPageSize } from "../../components/list-search.ts";

const root = "phone-numbers";
const pathOf = (enterpriseId: string, rest = "") =>
  `/enterprises/${encodeURIComponent(enterpriseId)}/numbers${rest}`;

/** What the list shows: a page, a state filter and digits to search for. */
export interface NumberListFilter {
  page: number;
  state: PhoneNumberState | undefined;
  q: string;
}

/** One page of the enterprise's phone numbers. */
export function numberListQuery(enterpriseId: string, filter: NumberListFilter) {
  return queryOptions({
    queryKey: [root, enterpriseId, filter],
    queryFn: ({ signal }) =>
      api.get<NumberListResponse>(
        pathOf(enterpriseId),
        { page: filter.page, pageSize: listPageSize, state: filter.state, q: filter.q },
        signal,
      ),
    placeholderData: keepPreviousData,
  });
}

export function useAddNumbers(enterpriseId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: AddNumbersBody) => api.post<NumbersAdded>(pathOf(enterpriseId), body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [root, enterpriseId] }),
  });
}

export function useImportNumbers(enterpriseId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (csv: string) =>
      api.postText<NumbersAdded>(pathOf(enterpriseId, "/import"), csv, "text/csv"),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [root, enterpriseId] }),
  });
}

export function useRemoveNumber(enterpriseId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.delete(pathOf(enterpriseId, `/${encodeURIComponent(id)}`)),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [root, enterpriseId] }),
  });
}
