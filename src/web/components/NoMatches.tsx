import { Button, EmptyState } from "@mantine/core";

/** The empty state of a filtered list that found nothing, with a way back to the whole list. */
export function NoMatches({ what, onClear }: { what: string; onClear(): void }) {
  return (
    <EmptyState title={`No ${what} match`} description="Try another search or status.">
      <EmptyState.Actions>
        <Button variant="default" onClick={onClear}>
          Clear filters
        </Button>
      </EmptyState.Actions>
    </EmptyState>
  );
}
