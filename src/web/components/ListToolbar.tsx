import { Group, Select, TextInput } from "@mantine/core";
import { useDebouncedCallback } from "@mantine/hooks";
import { type ReactNode, useEffect, useState } from "react";
import { IconSearch } from "./icons.tsx";

const allStatuses = "all";

interface ListToolbarProps {
  /** The search text currently applied to the list. */
  search: string;
  /** The visible label of the search box ("Search" unless told). */
  searchLabel?: string;
  onSearchChange(value: string): void;
  searchPlaceholder?: string;
  /** Omit to hide the status filter. */
  statusOptions?: { value: string; label: string }[];
  status?: string;
  onStatusChange?(value: string | undefined): void;
  children?: ReactNode;
}

/** Search (debounced) and status filter above a list. Both are labelled for assistive technology. */
export function ListToolbar({
  search,
  searchLabel = "Search",
  onSearchChange,
  searchPlaceholder,
  statusOptions,
  status,
  onStatusChange,
  children,
}: ListToolbarProps) {
  const [text, setText] = useState(search);
  const apply = useDebouncedCallback((value: string) => onSearchChange(value.trim()), 300);
  // Follow outside changes (back button, cleared filters) without fighting the user's typing.
  useEffect(() => {
    setText((current) => (current.trim() === search ? current : search));
  }, [search]);

  return (
    <Group align="flex-end" gap="md" mb="md" wrap="wrap">
      <TextInput
        label={searchLabel}
        placeholder={searchPlaceholder}
        leftSection={<IconSearch size={16} />}
        value={text}
        onChange={(event) => {
          setText(event.currentTarget.value);
          apply(event.currentTarget.value);
        }}
        onKeyDown={(event) => {
          if (event.key === "Enter") onSearchChange(text.trim());
        }}
        w={{ base: "100%", sm: 320 }}
        type="search"
      />
      {statusOptions && onStatusChange ? (
        <Select
          label="Status"
          data={[{ value: allStatuses, label: "All statuses" }, ...statusOptions]}
          value={status ?? allStatuses}
          onChange={(value) => onStatusChange(value && value !== allStatuses ? value : undefined)}
          allowDeselect={false}
          w={{ base: "100%", sm: 200 }}
        />
      ) : null}
      {children}
    </Group>
  );
}
