import { Skeleton, Stack } from "@mantine/core";

/** Placeholder for a page or form whose data is still loading. */
export function PageLoader() {
  return (
    <Stack gap="md" aria-busy="true" aria-label="Loading">
      <Skeleton height={32} width="40%" />
      <Skeleton height={16} width="60%" />
      <Skeleton height={220} mt="md" />
    </Stack>
  );
}
