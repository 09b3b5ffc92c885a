import { type ComboboxRenderPillInput, Pill } from "@mantine/core";

/**
 * A multi-select's chosen value with a remove button that screen readers and keyboards reach,
 * named after the value ("Remove US East 1"); Mantine's own pill hides that button from both.
 * Pass as `renderPill` of a MultiSelect.
 */
export function renderNamedPill({ option, value, onRemove, disabled }: ComboboxRenderPillInput) {
  const label = option?.label ?? String(value ?? "");
  return (
    <Pill
      disabled={disabled}
      withRemoveButton={!disabled && !option?.disabled}
      onRemove={onRemove}
      removeButtonProps={{ "aria-hidden": false, "aria-label": `Remove ${label}`, tabIndex: 0 }}
    >
      {label}
    </Pill>
  );
}
