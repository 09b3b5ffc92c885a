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
import type { SessionView } from "../../shared/contracts/auth.ts";
import type { Action } from "../../shared/permissions.ts";
import {
  IconBuilding,
  IconBuildings,
  IconChevronDown,
  IconHistory,
  IconLock,
  IconLogout,
  IconPhone,
  IconServer,
  IconUsers,
} from "../components/icons.tsx";
import { useSignOut } from "../modules/auth/auth.api.ts";
import { roleLabels, SessionContext, sessionQuery } from "../modules/auth/session.ts";
import { Brand } from "./Brand.tsx";

type NavPath =
  | "/master-resellers"
  | "/resellers"
  | "/enterprises"
  | "/regions"
  | "/pbx-types"
  | "/admins"
  | "/audit";

interface NavItem {
  label: string;
  to: NavPath;
  icon: ReactNode;
  action: Action;
}

const items: Record<string, NavItem> = {
  masterResellers: {
    label: "Master resellers",
    to: "/master-resellers",
    icon: <IconBuildings />,
    action: "master_reseller.manage",
  },
  resellers: {
    label: "Resellers",
    to: "/resellers",
    icon: <IconBuildings />,
    action: "reseller.read",
  },
  enterprises: {
    label: "Enterprises",
    to: "/enterprises",
    icon: <IconBuilding />,
    action: "enterprise.read",
  },
  regions: { label: "SBC regions", to: "/regions", icon: <IconServer />, action: "region.manage" },
  pbxTypes: {
    label: "PBX types",
    to: "/pbx-types",
    icon: <IconPhone />,
    action: "pbx_type.manage",
  },
  audit: { label: "Audit log", to: "/audit", icon: <IconHistory />, action: "audit.read" },
  admins: { label: "Admins", to: "/admins", icon: <IconUsers />, action: "admin.manage" },
};

/** The navigation of each role, in the order its work flows. */
function navFor(session: SessionView): NavItem[] {
  const byRole = {
    operator: ["masterResellers", "regions", "pbxTypes", "audit", "admins"],
    master_reseller: ["resellers", "enterprises", "admins", "audit"],
    reseller: ["enterprises", "admins", "audit"],
  }[session.organization.kind];
  return byRole
    .map((key) => items[key])
    .filter((item): item is NavItem => item !== undefined)
    .filter((item) => session.abilities.includes(item.action));
}

/** The signed-in area: header (product, organization, account menu), role navigation, page. */
export function AppLayout() {
  const { data: session } = useSuspenseQuery(sessionQuery);
  if (!session) return <Navigate to="/sign-in" replace />;
  if (session.kind === "enterprise_admin") return <Navigate to="/enterprise" replace />;
  return (
    <SessionContext value={session}>
      <Shell session={session} />
    </SessionContext>
  );
}

function Shell({ session }: { session: SessionView }) {
  const [navOpened, { toggle, close }] = useDisclosure(false);
  const pathname = useRouterState({ select: (s) => s.location.pathname });
  const navigate = useNavigate();
  const signOut = useSignOut();
  const nav = navFor(session);
  const forced = session.account.mustChangePassword;
  const previousPath = useRef(pathname);

  // After moving to another page, start screen readers and keyboards at its content.
  useEffect(() => {
    if (previousPath.current === pathname) return;
    previousPath.current = pathname;
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [pathname]);

  const doSignOut = () =>
    signOut.mutate(undefined, {
      onSettled: () => void navigate({ to: "/sign-in", search: { notice: "signed_out" } }),
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
                {session.organization.name}
              </Text>
              <Badge variant="light" color="gray" radius="sm" tt="none">
                {roleLabels[session.organization.kind]}
              </Badge>
            </Group>
          </Group>
          <Menu position="bottom-end" shadow="md" width={240}>
            <Menu.Target>
              <UnstyledButton aria-label={`Account menu for ${session.account.name}`}>
                <Group gap={6} wrap="nowrap">
                  <Stack gap={0} align="flex-end" visibleFrom="sm">
                    <Text size="sm" fw={500} lh={1.2}>
                      {session.account.name}
                    </Text>
                    <Text size="xs" c="dimmed" lh={1.2}>
                      {session.account.email}
                    </Text>
                  </Stack>
                  <IconChevronDown size={16} />
                </Group>
              </UnstyledButton>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Label>{session.account.username}</Menu.Label>
              <Menu.Item
                leftSection={<IconLock size={16} />}
                onClick={() => void navigate({ to: "/change-password" })}
              >
                Change password
              </Menu.Item>
              <Menu.Item leftSection={<IconLogout size={16} />} onClick={doSignOut}>
                Sign out
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Main">
        {forced ? (
          <Text size="sm" c="dimmed" p="xs">
            Choose a new password to continue.
          </Text>
        ) : (
          nav.map((item) => {
            const active = pathname === item.to || pathname.startsWith(`${item.to}/`);
            return (
              <NavLink
                key={item.to}
                component={Link}
                to={item.to}
                label={item.label}
                leftSection={item.icon}
                active={active}
                aria-current={active ? "page" : undefined}
                onClick={close}
                style={{ borderRadius: "var(--mantine-radius-md)" }}
              />
            );
          })
        )}
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1} bg="gray.0">
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
