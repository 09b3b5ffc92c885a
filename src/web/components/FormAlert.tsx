import { Alert, List } from "@mantine/core";
import type { FormFailure } from "../api/forms.ts";
import { IconAlertCircle } from "./icons.tsx";

/** The general error of a form (the server's message and anything not placed next to a control). */
export function FormAlert({ failure, title }: { failure: FormFailure | null; title?: string }) {
  if (!failure) return null;
  return (
    <Alert
      color="red"
      variant="light"
      title={title ?? "Not saved"}
      icon={<IconAlertCircle />}
      mb="md"
    >
      {failure.message}
      {failure.details.length > 0 ? (
        <List size="sm" mt="xs">
          {failure.details.map((d) => (
            <List.Item key={d}>{d}</List.Item>
          ))}
        </List>
      ) : null}
    </Alert>
  );
}
