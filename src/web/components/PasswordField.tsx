import { PasswordInput, type PasswordInputProps } from "@mantine/core";
import { useId } from "react";

/**
 * A password input whose show/hide toggle is named without the word "password", so the field's
 * label ("Password", "New password"…) names exactly one control on the page. Unlike Mantine's
 * PasswordInput, the input itself says when it is invalid (`aria-invalid`) and is described by its
 * help text and error, as every other field is.
 */
export function PasswordField({ error, description, ...props }: PasswordInputProps) {
  const id = useId();
  const descriptionId = `${id}-description`;
  const errorId = `${id}-error`;
  const hasError = Boolean(error) && typeof error !== "boolean";
  const describedBy = [description ? descriptionId : null, hasError ? errorId : null]
    .filter(Boolean)
    .join(" ");
  return (
    <PasswordInput
      visibilityToggleButtonProps={{ "aria-label": "Show characters" }}
      error={error}
      description={description}
      descriptionProps={{ id: descriptionId }}
      errorProps={{ id: errorId }}
      aria-invalid={error ? true : undefined}
      aria-describedby={describedBy || undefined}
      {...props}
    />
  );
}
