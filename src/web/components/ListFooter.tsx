import { Group, Pagination, Text } from "@mantine/core";
import type { Page } from "../../shared/contracts/common.ts";
import { listPageSize } from "./list-search.ts";

interface ListFooterProps {
  /** The page of results shown above; nothing is rendered until it has loaded. */
  list: Pick<Page<unknown>, "total" | "page" | "pageSize"> | undefined;
  /** The page chosen, as the URL keeps it: undefined for the first page. */
  onPageChange(page: number | undefined): void;
}

const controlLabels = {
  first: "First page",
  previous: "Previous page",
  next: "Next page",
  last: "Last page",
} as const;

/** "N results" and page navigation under a paged list. */
export function ListFooter({ list, onPageChange }: ListFooterProps) {
  if (!list) return null;
  const { total, page } = list;
  const pages = Math.max(1, Math.ceil(total / (list.pageSize || listPageSize)));
  return (
    <Group justify="space-between" mt="md" wrap="wrap">
      <Text size="sm" c="dimmed" aria-live="polite">
        {total === 1 ? "1 result" : `${total} results`}
      </Text>
      {pages > 1 ? (
        <Pagination
          total={pages}
          value={Math.min(page, pages)}
          onChange={(p) => onPageChange(p > 1 ? p : undefined)}
          size="sm"
          getControlProps={(control) => ({ "aria-label": controlLabels[control] })}
          getItemProps={(p) => ({ "aria-label": `Page ${p}` })}
        />
      ) : null}
    </Group>
  );
}
