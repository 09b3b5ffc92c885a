import {
  AppShell,
  Badge,
  Burger,
  Group,
  Menu,
  NavLink,
  Stack,
  Text,
  UnstyledButton,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useSuspenseQuery } from "@tanstack/react-query";
import { Link, Navigate, Outlet, useNavigate, useRouterState } from "@tanstack/react-router";
import { type ReactNode, useEffect, useRef } from "react";
import type { EnterpriseAdminSessionView } from "../../shared/contracts/auth.ts";
import {
  IconChevronDown,
  IconHistory,
  IconLogout,
  IconServer,
  IconUsers,
} from "../components/icons.tsx";
import { useSignOut } from "../modules/auth/auth.api.ts";
import { EnterpriseSessionContext, sessionQuery } from "../modules/auth/session.ts";
import { Brand } from "./Brand.tsx";

type EnterprisePath =
  | "/enterprise"
  | "/enterprise/users"
  | "/enterprise/activity"
  | "/enterprise/groups";

const nav: { label: string; to: EnterprisePath; icon: ReactNode }[] = [
  { label: "Dashboard", to: "/enterprise", icon: <IconServer /> },
  { label: "Users", to: "/enterprise/users", icon: <IconUsers /> },
  { label: "Activity", to: "/enterprise/activity", icon: <IconHistory /> },
  { label: "User groups", to: "/enterprise/groups", icon: <IconUsers /> },
];

/** The enterprise portal (an enterprise admin signed in with Microsoft): header, navigation, page. */
export function EnterpriseLayout() {
  const { data: session } = useSuspenseQuery(sessionQuery);
  if (!session) return <Navigate to="/enterprise/sign-in" replace />;
  if (session.kind !== "enterprise_admin") return <Navigate to="/" replace />;
  return (
    <EnterpriseSessionContext value={session}>
      <Shell session={session} />
    </EnterpriseSessionContext>
  );
}

function Shell({ session }: { session: EnterpriseAdminSessionView }) {
  const [navOpened, { toggle, close }] = useDisclosure(false);
  const pathname = useRouterState({ select: (s) => s.location.pathname });
  const navigate = useNavigate();
  const signOut = useSignOut();
  const previousPath = useRef(pathname);

  // After moving to another page, start screen readers and keyboards at its content.
  useEffect(() => {
    if (previousPath.current === pathname) return;
    previousPath.current = pathname;
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [pathname]);

  const doSignOut = () =>
    signOut.mutate(undefined, {
      onSettled: () =>
        void navigate({ to: "/enterprise/sign-in", search: { notice: "signed_out" } }),
    });

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 240, breakpoint: "sm", collapsed: { mobile: !navOpened } }}
      padding={{ base: "md", sm: "xl" }}
    >
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="md" wrap="nowrap">
            <Burger
              opened={navOpened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={navOpened ? "Close navigation" : "Open navigation"}
            />
            <Brand />
            <Group gap={8} visibleFrom="xs" wrap="nowrap">
              <Text c="dimmed" aria-hidden="true">
                /
              </Text>
              <Text fw={500} truncate maw={260}>
                {session.enterprise.name}
              </Text>
              <Badge variant="light" color="gray" radius="sm" tt="none">
                Enterprise admin
              </Badge>
            </Group>
          </Group>
          <Menu position="bottom-end" shadow="md" width={240}>
            <Menu.Target>
              <UnstyledButton aria-label={`Account menu for ${session.admin.name}`}>
                <Group gap={6} wrap="nowrap">
                  <Stack gap={0} align="flex-end" visibleFrom="sm">
                    <Text size="sm" fw={500} lh={1.2}>
                      {session.admin.name}
                    </Text>
                    <Text size="xs" c="dimmed" lh={1.2}>
                      {session.admin.email}
                    </Text>
                  </Stack>
                  <IconChevronDown size={16} />
                </Group>
              </UnstyledButton>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Label>Signed in with Microsoft</Menu.Label>
              <Menu.Item leftSection={<IconLogout size={16} />} onClick={doSignOut}>
                Sign out
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Main">
        {nav.map((item) => {
          const active =
            item.to === "/enterprise"
              ? pathname === "/enterprise" || pathname === "/enterprise/"
              : pathname === item.to || pathname.startsWith(`${item.to}/`);
          return (
            <NavLink
              key={item.to}
              component={Link}
              to={item.to}
              // The dashboard's path is a prefix of every other page's.
              activeOptions={{ exact: item.to === "/enterprise" }}
              label={item.label}
              leftSection={item.icon}
              active={active}
              aria-current={active ? "page" : undefined}
              onClick={close}
              style={{ borderRadius: "var(--mantine-radius-md)" }}
            />
          );
        })}
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1} bg="gray.0">
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
