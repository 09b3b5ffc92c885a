import { Alert, Button, Text } from "@mantine/core";
import type { UseMutationResult } from "@tanstack/react-query";
import { useId, useState } from "react";
import { isApiError } from "../api/client.ts";
import { IconMicrosoft } from "./icons.tsx";

/**
 * "Sign in with Microsoft": asks our API for the Microsoft URL (`start`), then leaves for it. The
 * button stays busy until the browser is gone; a refusal shows as an alert above it.
 */
export function MicrosoftSignIn<V>(props: {
  start: UseMutationResult<{ url: string }, Error, V>;
  /** What `start` is called with. */
  variables: V;
  /** Under the button: where the person goes and what account to use. */
  note: string;
}) {
  const [leaving, setLeaving] = useState(false);
  const noteId = useId();
  const { start } = props;
  return (
    <>
      {start.isError ? (
        <Alert
          color="red"
          variant="light"
          title="Could not start the Microsoft sign-in"
          role="alert"
        >
          {isApiError(start.error) ? start.error.message : "Try again in a moment."}
        </Alert>
      ) : null}
      <Button
        leftSection={<IconMicrosoft />}
        size="md"
        variant="default"
        onClick={() =>
          start.mutate(props.variables, {
            onSuccess: ({ url }) => {
              setLeaving(true);
              window.location.assign(url);
            },
          })
        }
        loading={start.isPending || leaving}
        aria-describedby={noteId}
      >
        Sign in with Microsoft
      </Button>
      <Text id={noteId} size="sm" c="dimmed">
        {props.note}
      </Text>
    </>
  );
}
