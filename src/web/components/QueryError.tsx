import { Alert, Button } from "@mantine/core";
import { isApiError } from "../api/client.ts";
import { IconAlertCircle } from "./icons.tsx";

/** A failed load, with its reason and a way to try again. */
export function QueryError({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const message = isApiError(error) ? error.message : "Something unexpected happened.";
  return (
    <Alert color="red" variant="light" title="Could not load" icon={<IconAlertCircle />} my="md">
      {message}
      {onRetry ? (
        <Button variant="light" color="red" size="xs" mt="sm" display="block" onClick={onRetry}>
          Try again
        </Button>
      ) : null}
    </Alert>
  );
}
