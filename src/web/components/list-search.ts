/** The URL search of every paged list: `?page=2&q=acme&status=invited` (defaults are omitted). */
export interface ListSearch {
  page?: number;
  q?: string;
  status?: string;
}

export const listPageSize = 25;

/**
 * A reader of a list's search params that is lenient: anything malformed (or a status the list
 * does not have) falls back to the default instead of becoming a failed request.
 */
export function listSearchOf(statuses: readonly string[] = []) {
  return (raw: Record<string, unknown>): ListSearch => {
    const page = Number(raw.page);
    const q = typeof raw.q === "string" ? raw.q.trim().slice(0, 100) : "";
    const status = statuses.find((s) => s === raw.status);
    return {
      page: Number.isInteger(page) && page > 1 ? page : undefined,
      q: q || undefined,
      status,
    };
  };
}

export const organizationStatuses = ["invited", "active", "disabled"] as const;
export const enterpriseStatuses = ["invited", "registered", "active", "disabled"] as const;
