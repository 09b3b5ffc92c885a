import { UserCallingFilter, UserLicenceFilter } from "../../../shared/contracts/users.ts";

/** The URL search of a Users list: `?page=2&q=adele&licence=teams&calling=configured&removed=true`. */
export interface UsersSearch {
  page?: number;
  q?: string;
  licence?: UserLicenceFilter;
  calling?: UserCallingFilter;
  removed?: boolean;
}

/** A lenient reader of the Users list's search: anything malformed falls back to the default. */
export function usersSearchOf(raw: Record<string, unknown>): UsersSearch {
  const page = Number(raw.page);
  const q = typeof raw.q === "string" ? raw.q.trim().slice(0, 100) : "";
  const licence = UserLicenceFilter.safeParse(raw.licence);
  const calling = UserCallingFilter.safeParse(raw.calling);
  return {
    page: Number.isInteger(page) && page > 1 ? page : undefined,
    q: q || undefined,
    licence: licence.success ? licence.data : undefined,
    calling: calling.success ? calling.data : undefined,
    removed: raw.removed === true || raw.removed === "true" ? true : undefined,
  };
}
