import { Button, Group, Text } from "@mantine/core";

interface CursorListFooterProps {
  /** The page of results shown above; nothing is rendered until it has loaded. */
  list:
    | {
        items: unknown[];
        total: number;
        isTotalCapped: boolean;
        nextCursor: string | null;
        prevCursor: string | null;
      }
    | undefined;
  /** Whether the page shown is not the first (the URL has a cursor). */
  hasCursor: boolean;
  /** The cursor chosen, as the URL keeps it: undefined for the first page. */
  onCursorChange(cursor: string | undefined): void;
}

/**
 * "N results" (or "More than N results" past the list's count cap) and previous / next under a
 * keyset-paged list (ADR 0011); an empty page reached by a cursor offers the first page.
 */
export function CursorListFooter({ list, hasCursor, onCursorChange }: CursorListFooterProps) {
  if (!list) return null;
  const { total, isTotalCapped, nextCursor, prevCursor } = list;
  const count = total.toLocaleString("en");
  const summary = isTotalCapped
    ? `More than ${count} results`
    : total === 1
      ? "1 result"
      : `${count} results`;
  const isLost = hasCursor && list.items.length === 0;
  return (
    <Group justify="space-between" mt="md" wrap="wrap">
      <Text size="sm" c="dimmed" aria-live="polite">
        {summary}
      </Text>
      {isLost ? (
        <Button size="xs" variant="default" onClick={() => onCursorChange(undefined)}>
          First page
        </Button>
      ) : prevCursor || nextCursor ? (
        <Group gap="xs">
          <Button
            size="xs"
            variant="default"
            disabled={!prevCursor}
            onClick={() => onCursorChange(prevCursor ?? undefined)}
            aria-label="Previous page"
          >
            Previous
          </Button>
          <Button
            size="xs"
            variant="default"
            disabled={!nextCursor}
            onClick={() => onCursorChange(nextCursor ?? undefined)}
            aria-label="Next page"
          >
            Next
          </Button>
        </Group>
      ) : null}
    </Group>
  );
}
