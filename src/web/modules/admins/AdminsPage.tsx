import { Anchor, Badge, Button, EmptyState, Group, Stack, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { useState } from "react";
import type {
  AdminView,
  AdminWithTemporaryPassword,
} from "../../../shared/contracts/organizations.ts";
import { isApiError } from "../../api/client.ts";
import { confirmAction } from "../../components/confirm.tsx";
import { DataTable } from "../../components/DataTable.tsx";
import { formatDateTime } from "../../components/format.ts";
import { IconKey, IconPlus, IconTrash, IconUsers } from "../../components/icons.tsx";
import { PageHeader } from "../../components/PageHeader.tsx";
import { PageLoader } from "../../components/PageLoader.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { type RowAction, RowActionsMenu } from "../../components/RowActionsMenu.tsx";
import { useSession } from "../auth/session.ts";
import { masterResellerQuery } from "../master-resellers/master-resellers.api.ts";
import { resellerQuery } from "../resellers/resellers.api.ts";
import { AddAdminModal } from "./AddAdminModal.tsx";
import { adminsQuery, useDeleteAdmin, useResetAdminPassword } from "./admins.api.ts";
import { TemporaryPasswordModal } from "./TemporaryPasswordModal.tsx";

function failed(error: unknown) {
  notifications.show({
    color: "red",
    title: "Nothing changed",
    message: isApiError(error) ? error.message : "Something unexpected happened.",
  });
}

const masterAdminsRoute = getRouteApi("/app/master-resellers/$masterResellerId/admins");
const resellerAdminsRoute = getRouteApi("/app/resellers/$resellerId/admins");

/** The admins of the signed-in user's own organization. */
export function AdminsPage() {
  const session = useSession();
  return <AdminsPanel orgId={session.organization.id} title="Admins" />;
}

/** The admins of a master reseller (operator: e.g. to reset a partner's password). */
export function MasterResellerAdminsPage() {
  const { masterResellerId } = masterAdminsRoute.useParams();
  const org = useQuery(masterResellerQuery(masterResellerId));
  return (
    <>
      <Anchor component={Link} to="/master-resellers" size="sm" mb="xs" display="inline-block">
        ← Master resellers
      </Anchor>
      {org.isError ? <QueryError error={org.error} /> : null}
      {org.data ? (
        <AdminsPanel orgId={org.data.id} title={`Admins of ${org.data.name}`} />
      ) : org.isPending ? (
        <PageLoader />
      ) : null}
    </>
  );
}

/** The admins of a reseller (operator). */
export function ResellerAdminsPage() {
  const { resellerId } = resellerAdminsRoute.useParams();
  const org = useQuery(resellerQuery(resellerId));
  return (
    <>
      <Anchor component={Link} to="/resellers" size="sm" mb="xs" display="inline-block">
        ← Resellers
      </Anchor>
      {org.isError ? <QueryError error={org.error} /> : null}
      {org.data ? (
        <AdminsPanel orgId={org.data.id} title={`Admins of ${org.data.name}`} />
      ) : org.isPending ? (
        <PageLoader />
      ) : null}
    </>
  );
}

/** The portal admins of one organization: add, reset password, delete. */
function AdminsPanel({ orgId, title }: { orgId: string; title: string }) {
  const session = useSession();
  const isOwn = orgId === session.organization.id;
  const admins = useQuery(adminsQuery(orgId));
  const resetPassword = useResetAdminPassword(orgId);
  const deleteAdmin = useDeleteAdmin(orgId);
  const [adding, setAdding] = useState(false);
  const [issued, setIssued] = useState<{
    result: AdminWithTemporaryPassword;
    reason: "created" | "reset";
  } | null>(null);

  function actionsFor(admin: AdminView): RowAction[] {
    // The server says what may be done to each admin; the page offers exactly that.
    const actions: RowAction[] = [];
    if (admin.abilities.includes("admin.reset_password"))
      actions.push({
        label: "Reset password",
        icon: <IconKey size={16} />,
        onClick: () =>
          confirmAction({
            title: `Reset ${admin.name}'s password?`,
            message:
              "Their current password stops working and they are signed out. You will see a temporary password to pass on; they must change it at first sign-in.",
            confirmLabel: "Reset password",
            onConfirm: () =>
              resetPassword.mutate(admin.id, {
                onSuccess: (result) => setIssued({ result, reason: "reset" }),
                onError: failed,
              }),
          }),
      });
    if (admin.abilities.includes("admin.delete")) {
      actions.push({
        label: "Delete",
        icon: <IconTrash size={16} />,
        color: "red",
        onClick: () =>
          confirmAction({
            title: `Delete ${admin.name}?`,
            message: `${admin.email} will no longer be able to sign in. This cannot be undone.`,
            confirmLabel: "Delete",
            danger: true,
            onConfirm: () =>
              deleteAdmin.mutate(admin.id, {
                onSuccess: () =>
                  notifications.show({ color: "teal", message: `${admin.name} deleted` }),
                onError: failed,
              }),
          }),
      });
    }
    return actions;
  }

  const addButton = admins.data?.abilities.includes("admin.create") ? (
    <Button leftSection={<IconPlus />} onClick={() => setAdding(true)}>
      Add admin
    </Button>
  ) : null;

  return (
    <>
      <PageHeader
        title={title}
        description={`People who can sign in to the portal${isOwn ? ` for ${session.organization.name}` : ""}. The first admin cannot be deleted.`}
        actions={addButton}
      />
      {admins.isError ? (
        <QueryError error={admins.error} onRetry={() => void admins.refetch()} />
      ) : null}
      <DataTable<AdminView>
        label="Admins"
        rows={admins.data?.items}
        loading={admins.isPending}
        rowKey={(a) => a.id}
        columns={[
          {
            header: "Name",
            render: (a) => (
              <Group gap={6}>
                <Text fw={500}>{a.name}</Text>
                {a.id === session.account.id ? (
                  <Badge size="xs" variant="light">
                    You
                  </Badge>
                ) : null}
                {a.isFirstAdmin ? (
                  <Badge size="xs" variant="light" color="gray">
                    First admin
                  </Badge>
                ) : null}
              </Group>
            ),
          },
          { header: "E-mail", render: (a) => a.email },
          { header: "Username", render: (a) => a.username },
          {
            header: "Last sign-in",
            render: (a) => (
              <Stack gap={0}>
                <Text size="sm">{a.lastLoginAt ? formatDateTime(a.lastLoginAt) : "Never"}</Text>
                {a.mustChangePassword ? (
                  <Text size="xs" c="orange.8">
                    Must change password at next sign-in
                  </Text>
                ) : null}
              </Stack>
            ),
          },
          {
            header: "Actions",
            hideHeader: true,
            width: 56,
            render: (a) => <RowActionsMenu name={a.name} actions={actionsFor(a)} />,
          },
        ]}
        empty={
          <EmptyState
            icon={<IconUsers size={28} />}
            withIndicatorBackground
            title="No admins"
            description="Add the people who should manage this organization."
          >
            {addButton ? <EmptyState.Actions>{addButton}</EmptyState.Actions> : null}
          </EmptyState>
        }
      />
      <AddAdminModal
        orgId={orgId}
        opened={adding}
        onClose={() => setAdding(false)}
        onCreated={(result) => {
          setAdding(false);
          setIssued({ result, reason: "created" });
        }}
      />
      <TemporaryPasswordModal
        result={issued?.result ?? null}
        reason={issued?.reason ?? "created"}
        onClose={() => setIssued(null)}
      />
    </>
  );
}
