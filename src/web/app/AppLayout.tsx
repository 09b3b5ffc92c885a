import { Menu, Text } from "@mantine/core";
import { useSuspenseQuery } from "@tanstack/react-query";
import { Navigate, useNavigate } from "@tanstack/react-router";
import type { ReactNode } from "react";
import type { SessionView } from "../../shared/contracts/auth.ts";
import type { Action } from "../../shared/permissions.ts";
import {
  IconBuilding,
  IconBuildings,
  IconHistory,
  IconLock,
  IconPhone,
  IconServer,
  IconUsers,
} from "../components/icons.tsx";
import { useSignOut } from "../modules/auth/auth.api.ts";
import { roleLabels, SessionContext, sessionQuery } from "../modules/auth/session.ts";
import { SignedInShell } from "./SignedInShell.tsx";

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
  const navigate = useNavigate();
  const signOut = useSignOut();
  return (
    <SignedInShell
      context={{ name: session.organization.name, role: roleLabels[session.organization.kind] }}
      person={session.account}
      menuLabel={session.account.username}
      menuItems={
        <Menu.Item
          leftSection={<IconLock size={16} />}
          onClick={() => void navigate({ to: "/change-password" })}
        >
          Change password
        </Menu.Item>
      }
      onSignOut={() =>
        signOut.mutate(undefined, {
          onSettled: () => void navigate({ to: "/sign-in", search: { notice: "signed_out" } }),
        })
      }
      nav={navFor(session)}
      navNotice={
        session.account.mustChangePassword ? (
          <Text size="sm" c="dimmed" p="xs">
            Choose a new password to continue.
          </Text>
        ) : undefined
      }
    />
  );
}
