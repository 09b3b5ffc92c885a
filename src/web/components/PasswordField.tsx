import { PasswordInput, type PasswordInputProps } from "@mantine/core";

/**
 * A password input whose show/hide toggle is named without the word "password", so the field's
 * label ("Password", "New password"…) names exactly one control on the page.
 */
export function PasswordField(props: PasswordInputProps) {
  return (
    <PasswordInput visibilityToggleButtonProps={{ "aria-label": "Show characters" }} {...props} />
  );
}
