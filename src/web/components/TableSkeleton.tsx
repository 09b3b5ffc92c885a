import { Skeleton, Table } from "@mantine/core";

/** Placeholder rows while a table loads, so the layout does not jump when data arrives. */
export function TableSkeleton({ columns, rows = 5 }: { columns: number; rows?: number }) {
  return (
    <>
      {Array.from({ length: rows }, (_, r) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: placeholder rows have no identity
        <Table.Tr key={r} aria-hidden="true">
          {Array.from({ length: columns }, (_, c) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: placeholder cells have no identity
            <Table.Td key={c}>
              <Skeleton height={14} radius="sm" width={c === 0 ? "70%" : "50%"} />
            </Table.Td>
          ))}
        </Table.Tr>
      ))}
    </>
  );
}
