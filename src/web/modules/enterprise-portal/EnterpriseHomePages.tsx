import { Anchor, Button } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { ListFooter } from "../../components/ListFooter.tsx";
import { PageHeader } from "../../components/PageHeader.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { useEnterpriseSession } from "../auth/session.ts";
import { UserCalling } from "../calling/UserCalling.tsx";
import { UsersCsvActions } from "../calling/UsersCsvActions.tsx";
import { PhoneNumbers } from "../numbers/PhoneNumbers.tsx";
import { PbxLocations } from "../pbx/PbxLocations.tsx";
import { ActivityTable } from "./ActivityTable.tsx";
import { EnterpriseDashboard } from "./EnterpriseDashboard.tsx";
import { activityQuery } from "./enterprise-portal.api.ts";
import { PermissionsConsentNotice } from "./PermissionsConsentNotice.tsx";
import { UsersTable } from "./UsersTable.tsx";

const usersRoute = getRouteApi("/enterprise/users");
const userRoute = getRouteApi("/enterprise/users/$userId");
const activityRoute = getRouteApi("/enterprise/activity");
const pbxLocationsRoute = getRouteApi("/enterprise/pbx-locations");

/** `/enterprise`: the signed-in enterprise admin's dashboard. */
export function EnterpriseDashboardPage() {
  const session = useEnterpriseSession();
  return (
    <EnterpriseDashboard
      enterpriseId={session.enterprise.id}
      audience="enterprise"
      before={<PermissionsConsentNotice enterpriseId={session.enterprise.id} />}
    />
  );
}

/** `/enterprise/users`: the organization's synced Microsoft 365 users. */
export function EnterpriseUsersPage() {
  const session = useEnterpriseSession();
  const search = usersRoute.useSearch();
  const navigate = usersRoute.useNavigate();
  return (
    <>
      <PageHeader
        title="Users"
        description="The Microsoft 365 users of your organization that Teamgate keeps in sync, with their Teams licences and calling."
        actions={
          <UsersCsvActions
            enterpriseId={session.enterprise.id}
            canConfigure={session.abilities.includes("users.configure")}
          />
        }
      />
      <UsersTable
        enterpriseId={session.enterprise.id}
        search={search}
        renderName={(user) => (
          <Anchor
            fw={500}
            renderRoot={(props) => (
              <Link {...props} to="/enterprise/users/$userId" params={{ userId: user.id }} />
            )}
          >
            {user.displayName}
          </Anchor>
        )}
        onSearchChange={(patch) =>
          void navigate({ search: (prev) => ({ ...prev, ...patch }), replace: true })
        }
        emptyActions={
          <>
            <Button component={Link} to="/enterprise">
              Go to the dashboard
            </Button>
            <Anchor component={Link} to="/enterprise/groups" size="sm">
              Manage user groups
            </Anchor>
          </>
        }
      />
    </>
  );
}

/** `/enterprise/users/{id}`: one user, its calling configuration and status. */
export function EnterpriseUserPage() {
  const session = useEnterpriseSession();
  const { userId } = userRoute.useParams();
  return (
    <UserCalling
      enterpriseId={session.enterprise.id}
      userId={userId}
      audience="enterprise"
      back={
        <Anchor component={Link} to="/enterprise/users" size="sm" mb="xs" display="inline-block">
          ← Users
        </Anchor>
      }
    />
  );
}

/** `/enterprise/activity`: everything recorded about the organization, newest first. */
export function EnterpriseActivityPage() {
  const session = useEnterpriseSession();
  const { page } = activityRoute.useSearch();
  const navigate = activityRoute.useNavigate();
  const list = useQuery(activityQuery(session.enterprise.id, page ?? 1));
  return (
    <>
      <PageHeader
        title="Activity"
        description="Sign-ins, consents, user group changes and syncs of your organization, newest first."
      />
      {list.isError ? <QueryError error={list.error} onRetry={() => void list.refetch()} /> : null}
      <ActivityTable label="Activity" rows={list.data?.items} loading={list.isPending} />
      <ListFooter
        list={list.data}
        onPageChange={(page) => void navigate({ search: { page }, replace: true })}
      />
    </>
  );
}

/** `/enterprise/pbx-locations`: the organization's PBX locations (SPEC §2.5). */
export function EnterprisePbxLocationsPage() {
  const session = useEnterpriseSession();
  const { page } = pbxLocationsRoute.useSearch();
  const navigate = pbxLocationsRoute.useNavigate();
  return (
    <PbxLocations
      enterpriseId={session.enterprise.id}
      page={page}
      onPageChange={(p) => void navigate({ search: p ? { page: p } : {}, replace: true })}
      renderActions={(add) => (
        <PageHeader
          title="PBX locations"
          description="The PBX domains your Teams users are registered to, with their SIP settings."
          actions={add}
        />
      )}
    />
  );
}

/** `/enterprise/numbers`: the organization's phone numbers (SPEC §2.7). */
export function EnterpriseNumbersPage() {
  const session = useEnterpriseSession();
  return (
    <PhoneNumbers
      enterpriseId={session.enterprise.id}
      renderActions={(actions) => (
        <PageHeader
          title="Phone numbers"
          description="Your organization's numbers: given to users as caller IDs, and what the gateway checks outgoing calls against."
          actions={actions}
        />
      )}
    />
  );
}
