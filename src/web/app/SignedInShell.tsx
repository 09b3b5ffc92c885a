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
import { Link, Outlet, useRouterState } from "@tanstack/react-router";
import { type ReactNode, useEffect, useRef } from "react";
import { IconChevronDown, IconLogout } from "../components/icons.tsx";
import { Brand } from "./Brand.tsx";

export interface ShellNavItem {
  label: string;
  /** A route path of the app (checked by the router where the items are declared). */
  to: string;
  icon: ReactNode;
  /** Active on this exact path only (a path that prefixes the others', like a dashboard's). */
  exact?: boolean;
}

/**
 * The signed-in frame shared by the portal and the enterprise admin's area: header (product,
 * whose area it is, the person's menu), navigation, skip link, and focus moved to the page's
 * content after each navigation.
 */
export function SignedInShell(props: {
  /** The organization or enterprise the person works in, and what they are there. */
  context: { name: string; role: string };
  person: { name: string; email: string };
  /** The account menu's heading and its items before "Sign out". */
  menuLabel: string;
  menuItems?: ReactNode;
  onSignOut: () => void;
  nav: ShellNavItem[];
  /** Shown instead of the navigation (e.g. while a password change is required). */
  navNotice?: ReactNode;
}) {
  const [navOpened, { toggle, close }] = useDisclosure(false);
  const pathname = useRouterState({ select: (s) => s.location.pathname });
  const previousPath = useRef(pathname);

  // After moving to another page, start screen readers and keyboards at its content.
  useEffect(() => {
    if (previousPath.current === pathname) return;
    previousPath.current = pathname;
    document.getElementById("main")?.focus({ preventScroll: true });
  }, [pathname]);

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
                {props.context.name}
              </Text>
              <Badge variant="light" color="gray" radius="sm" tt="none">
                {props.context.role}
              </Badge>
            </Group>
          </Group>
          <Menu position="bottom-end" shadow="md" width={240}>
            <Menu.Target>
              <UnstyledButton aria-label={`Account menu for ${props.person.name}`}>
                <Group gap={6} wrap="nowrap">
                  <Stack gap={0} align="flex-end" visibleFrom="sm">
                    <Text size="sm" fw={500} lh={1.2}>
                      {props.person.name}
                    </Text>
                    <Text size="xs" c="dimmed" lh={1.2}>
                      {props.person.email}
                    </Text>
                  </Stack>
                  <IconChevronDown size={16} />
                </Group>
              </UnstyledButton>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Label>{props.menuLabel}</Menu.Label>
              {props.menuItems}
              <Menu.Item leftSection={<IconLogout size={16} />} onClick={props.onSignOut}>
                Sign out
              </Menu.Item>
            </Menu.Dropdown>
          </Menu>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Main">
        {props.navNotice ??
          props.nav.map((item) => {
            const active = item.exact
              ? pathname === item.to || pathname === `${item.to}/`
              : pathname === item.to || pathname.startsWith(`${item.to}/`);
            return (
              <NavLink
                key={item.to}
                component={Link}
                to={item.to}
                activeOptions={{ exact: Boolean(item.exact) }}
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
