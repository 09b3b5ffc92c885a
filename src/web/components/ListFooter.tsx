import { Group, Pagination, Text } from "@mantine/core";

interface ListFooterProps {
  total: number;
  page: number;
  pageSize: number;
  onPageChange(page: number): void;
}

const controlLabels = {
  first: "First page",
  previous: "Previous page",
  next: "Next page",
  last: "Last page",
} as const;

/** "N results" and page navigation under a paged list. */
export function ListFooter({ total, page, pageSize, onPageChange }: ListFooterProps) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <Group justify="space-between" mt="md" wrap="wrap">
      <Text size="sm" c="dimmed" aria-live="polite">
        {total === 1 ? "1 result" : `${total} results`}
      </Text>
      {pages > 1 ? (
        <Pagination
          total={pages}
          value={Math.min(page, pages)}
          onChange={onPageChange}
          size="sm"
          getControlProps={(control) => ({ "aria-label": controlLabels[control] })}
          getItemProps={(p) => ({ "aria-label": `Page ${p}` })}
        />
      ) : null}
    </Group>
  );
}
