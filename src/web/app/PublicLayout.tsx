import { Box, Center, Container, Paper, Stack, Text } from "@mantine/core";
import { useDocumentTitle } from "@mantine/hooks";
import { Outlet, useRouterState } from "@tanstack/react-router";
import { Brand } from "./Brand.tsx";

/** Pages reached without a session (sign-in, password reset, invitations): one centred card. */
const titles: Record<string, string> = {
  "/sign-in": "Sign in",
  "/forgot-password": "Reset your password",
  "/reset-password": "Choose a new password",
  "/activate": "Activate your account",
  "/complete": "Connect to Microsoft Teams",
  "/complete/failed": "Registration not completed",
  "/enterprise/sign-in": "Sign in to your enterprise portal",
};

export function PublicLayout() {
  const pathname = useRouterState({ select: (s) => s.location.pathname });
  useDocumentTitle(titles[pathname] ? `${titles[pathname]} · Teamgate` : "Teamgate");
  return (
    <Box mih="100vh" bg="gray.0" py={48}>
      <Container size={480} px="md">
        <Stack gap="lg">
          <Center>
            <Brand size="lg" />
          </Center>
          <Paper component="main" withBorder shadow="xs" radius="md" p={{ base: "lg", sm: "xl" }}>
            <Outlet />
          </Paper>
          <Text ta="center" size="xs" c="dimmed">
            Microsoft Teams connectivity for hosted PBX providers
          </Text>
        </Stack>
      </Container>
    </Box>
  );
}
