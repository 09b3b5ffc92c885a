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

/** The URL search of a keyset-paged list: `?cursor=a.ent_…&q=acme&status=invited`. */
export interface CursorListSearch {
  cursor?: string;
  q?: string;
  status?: string;
}

/** `listSearchOf` for a keyset-paged list: a cursor instead of a page number. */
export function cursorListSearchOf(statuses: readonly string[] = []) {
  const rest = listSearchOf(statuses);
  return (raw: Record<string, unknown>): CursorListSearch => {
    const { q, status } = rest(raw);
    const cursor =
      typeof raw.cursor === "string" && /^[ab]\.[A-Za-z0-9_-]{1,64}$/.test(raw.cursor)
        ? raw.cursor
        : undefined;
    return { cursor, q, status };
  };
}
