import {
  ActionIcon,
  Badge,
  Fieldset,
  Group,
  Input,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  VisuallyHidden,
} from "@mantine/core";
import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { IconArrowLeft, IconArrowRight } from "./icons.tsx";

export interface DualListItem {
  value: string;
  label: string;
  /** Secondary text under the label (e.g. "Hosted"). */
  description?: string;
  /** Shown as a small badge next to the label (e.g. "Default"). */
  tag?: string;
}

interface DualListProps {
  /** Name of the whole control, e.g. "PBX types". */
  label: string;
  /** Heading of the left column, e.g. "Unassigned PBX types". */
  availableTitle: string;
  /** Heading of the right column, e.g. "Assigned PBX types". */
  assignedTitle: string;
  items: DualListItem[];
  value: string[];
  onChange(value: string[]): void;
  description?: ReactNode;
  error?: ReactNode;
  /** Marks the control required with the same "*" as Mantine's inputs. */
  required?: boolean;
  /** Verb of the move buttons: "Assign <label>" / "Unassign <label>". */
  assignVerb?: string;
  unassignVerb?: string;
}

type Side = "available" | "assigned";

/**
 * Two lists, moving items between them with one button per item ("Assign X" / "Unassign X").
 * Buttons are ordinary tab stops; after a move, focus goes to the neighbouring item so keyboard
 * users can keep going, and a polite live region says what happened.
 */
export function DualList({
  label,
  availableTitle,
  assignedTitle,
  items,
  value,
  onChange,
  description,
  error,
  required = false,
  assignVerb = "Assign",
  unassignVerb = "Unassign",
}: DualListProps) {
  const id = useId();
  const assigned = new Set(value);
  const available = items.filter((i) => !assigned.has(i.value));
  const chosen = value
    .map((v) => items.find((i) => i.value === v))
    .filter((i): i is DualListItem => i !== undefined);
  const buttons = useRef(new Map<string, HTMLButtonElement>());
  const [focusNext, setFocusNext] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState("");

  useEffect(() => {
    if (!focusNext) return;
    buttons.current.get(focusNext)?.focus();
    setFocusNext(null);
  }, [focusNext]);

  function move(item: DualListItem, from: Side) {
    const list = from === "available" ? available : chosen;
    const index = list.findIndex((i) => i.value === item.value);
    const neighbour = list[index + 1] ?? list[index - 1];
    const next =
      from === "available" ? [...value, item.value] : value.filter((v) => v !== item.value);
    onChange(next);
    setFocusNext(neighbour ? `${from}:${neighbour.value}` : `${other(from)}:${item.value}`);
    setAnnouncement(
      `${item.label} ${from === "available" ? "moved to" : "removed from"} ${assignedTitle}`,
    );
  }

  function column(side: Side, title: string, list: DualListItem[]) {
    const headingId = `${id}-${side}`;
    return (
      <Paper
        withBorder
        radius="md"
        p="xs"
        role="group"
        aria-labelledby={headingId}
        aria-describedby={error ? `${id}-error` : undefined}
      >
        <Group justify="space-between" px="xs" pb="xs">
          <Text id={headingId} fw={600} size="sm">
            {title}
          </Text>
          <Text size="xs" c="dimmed">
            {list.length}
          </Text>
        </Group>
        {list.length === 0 ? (
          <Text size="sm" c="dimmed" px="xs" py="sm">
            {side === "available" ? "Nothing left to assign." : "None assigned yet."}
          </Text>
        ) : (
          <Stack component="ul" gap={4} m={0} p={0} style={{ listStyle: "none" }}>
            {list.map((item) => (
              <Group
                component="li"
                key={item.value}
                justify="space-between"
                wrap="nowrap"
                px="xs"
                py={6}
                style={{ borderRadius: "var(--mantine-radius-sm)" }}
                bg="var(--mantine-color-gray-0)"
              >
                <div>
                  <Group gap={6}>
                    <Text size="sm" fw={500}>
                      {item.label}
                    </Text>
                    {item.tag ? (
                      <Badge size="xs" variant="light" color="gray">
                        {item.tag}
                      </Badge>
                    ) : null}
                  </Group>
                  {item.description ? (
                    <Text size="xs" c="dimmed">
                      {item.description}
                    </Text>
                  ) : null}
                </div>
                <ActionIcon
                  ref={(el) => {
                    const key = `${side}:${item.value}`;
                    if (el) buttons.current.set(key, el);
                    else buttons.current.delete(key);
                  }}
                  variant="light"
                  aria-label={`${side === "available" ? assignVerb : unassignVerb} ${item.label}`}
                  onClick={() => move(item, side)}
                >
                  {side === "available" ? <IconArrowRight /> : <IconArrowLeft />}
                </ActionIcon>
              </Group>
            ))}
          </Stack>
        )}
      </Paper>
    );
  }

  return (
    <Fieldset
      variant="unstyled"
      p={0}
      styles={{ legend: { padding: 0, marginBottom: 2 } }}
      aria-describedby={description ? `${id}-description` : undefined}
      legend={
        <Text component="span" fw={600} size="sm">
          {label}
          {required ? (
            <Text component="span" c="var(--mantine-color-error)" aria-hidden>
              {" *"}
            </Text>
          ) : null}
        </Text>
      }
    >
      {description ? (
        <Input.Description mb="xs" id={`${id}-description`}>
          {description}
        </Input.Description>
      ) : null}
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
        {column("available", availableTitle, available)}
        {column("assigned", assignedTitle, chosen)}
      </SimpleGrid>
      {error ? (
        <Input.Error mt="xs" id={`${id}-error`} role="alert">
          {error}
        </Input.Error>
      ) : null}
      <VisuallyHidden aria-live="polite">{announcement}</VisuallyHidden>
    </Fieldset>
  );
}

function other(side: Side): Side {
  return side === "available" ? "assigned" : "available";
}
