import { useSuspenseQuery } from "@tanstack/react-query";
import { Navigate, useNavigate } from "@tanstack/react-router";
import type { EnterpriseAdminSessionView } from "../../shared/contracts/auth.ts";
import type { Action } from "../../shared/permissions.ts";
import { IconHistory, IconPhone, IconServer, IconUsers } from "../components/icons.tsx";
import { useSignOut } from "../modules/auth/auth.api.ts";
import { EnterpriseSessionContext, sessionQuery } from "../modules/auth/session.ts";
import { type ShellNavItem, SignedInShell } from "./SignedInShell.tsx";

type EnterprisePath =
  | "/enterprise"
  | "/enterprise/users"
  | "/enterprise/activity"
  | "/enterprise/pbx-locations"
  | "/enterprise/numbers"
  | "/enterprise/calls"
  | "/enterprise/groups";

type EnterpriseNavItem = ShellNavItem & {
  to: EnterprisePath;
  /** Shown only when the session holds this ability. */
  action?: Action;
};

const nav: EnterpriseNavItem[] = [
  // The dashboard's path is a prefix of every other page's.
  { label: "Dashboard", to: "/enterprise", icon: <IconServer />, exact: true },
  { label: "Users", to: "/enterprise/users", icon: <IconUsers /> },
  { label: "PBX locations", to: "/enterprise/pbx-locations", icon: <IconPhone /> },
  { label: "Phone numbers", to: "/enterprise/numbers", icon: <IconPhone /> },
  // Only while the provider has turned on Access SIP Data for the enterprise (SPEC §1).
  { label: "Calls", to: "/enterprise/calls", icon: <IconHistory />, action: "calls.read" },
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
  const navigate = useNavigate();
  const signOut = useSignOut();
  return (
    <SignedInShell
      context={{ name: session.enterprise.name, role: "Enterprise admin" }}
      person={session.admin}
      menuLabel="Signed in with Microsoft"
      onSignOut={() =>
        signOut.mutate(undefined, {
          onSettled: () =>
            void navigate({ to: "/enterprise/sign-in", search: { notice: "signed_out" } }),
        })
      }
      nav={nav.filter((item) => !item.action || session.abilities.includes(item.action))}
    />
  );
}
