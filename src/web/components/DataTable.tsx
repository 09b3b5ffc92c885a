import { Paper, Table, VisuallyHidden } from "@mantine/core";
import { Fragment, type ReactNode } from "react";
import { TableSkeleton } from "./TableSkeleton.tsx";

export interface Column<T> {
  /** Column header; always present for assistive technology, even when visually hidden. */
  header: string;
  hideHeader?: boolean;
  width?: number | string;
  /** Keep the cell on one line (short values such as dates, which read badly broken). */
  nowrap?: boolean;
  render(row: T): ReactNode;
}

interface DataTableProps<T> {
  /** Accessible name of the table, e.g. "Enterprises". */
  label: string;
  columns: Column<T>[];
  rows: T[] | undefined;
  rowKey(row: T): string;
  loading: boolean;
  /** Shown in the table body when there are no rows. */
  empty: ReactNode;
  minWidth?: number;
  /** Content of a full-width row under a row (e.g. audit details); null for none. */
  expansion?(row: T): ReactNode | null;
}

/** A bordered table with real header cells, skeleton rows while loading and an empty state. */
export function DataTable<T>({
  label,
  columns,
  rows,
  rowKey,
  loading,
  empty,
  minWidth = 720,
  expansion,
}: DataTableProps<T>) {
  return (
    <Paper withBorder radius="md">
      <Table.ScrollContainer minWidth={minWidth}>
        <Table aria-label={label} verticalSpacing="sm" highlightOnHover={Boolean(rows?.length)}>
          <Table.Thead>
            <Table.Tr>
              {columns.map((column) => (
                <Table.Th
                  key={column.header}
                  scope="col"
                  w={column.width}
                  style={{ whiteSpace: "nowrap" }}
                >
                  {column.hideHeader ? (
                    <VisuallyHidden>{column.header}</VisuallyHidden>
                  ) : (
                    column.header
                  )}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {loading && !rows ? <TableSkeleton columns={columns.length} /> : null}
            {rows && rows.length === 0 ? (
              <Table.Tr>
                <Table.Td colSpan={columns.length} py="xl">
                  {empty}
                </Table.Td>
              </Table.Tr>
            ) : null}
            {rows?.map((row) => {
              const extra = expansion?.(row) ?? null;
              return (
                <Fragment key={rowKey(row)}>
                  <Table.Tr>
                    {columns.map((column) => (
                      <Table.Td
                        key={column.header}
                        style={column.nowrap ? { whiteSpace: "nowrap" } : undefined}
                      >
                        {column.render(row)}
                      </Table.Td>
                    ))}
                  </Table.Tr>
                  {extra ? (
                    <Table.Tr>
                      <Table.Td colSpan={columns.length} bg="gray.0">
                        {extra}
                      </Table.Td>
                    </Table.Tr>
                  ) : null}
                </Fragment>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Paper>
  );
}
