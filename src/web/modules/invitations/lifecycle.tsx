import { Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, isApiError } from "../../api/client.ts";
import { confirmAction } from "../../components/confirm.tsx";
import { IconBan, IconCircleCheck, IconMail, IconPencil } from "../../components/icons.tsx";
import type { RowAction } from "../../components/RowActionsMenu.tsx";

/** The records with a lifecycle (invited → active…, disabled at any time) and an invitation. */
export type LifecycleKind = "master_reseller" | "reseller" | "enterprise";

/** The API collection of each kind; also the root of its react-query keys. */
export const collectionOf = {
  master_reseller: "master-resellers",
  reseller: "resellers",
  enterprise: "enterprises",
} as const satisfies Record<LifecycleKind, string>;

type LifecycleAction = "disable" | "enable" | "resend-invitation";

interface LifecycleTarget {
  id: string;
  /** The row actions the server allows on this record (`<kind>.<verb>`). */
  abilities: readonly string[];
  name: string;
  status: string;
  /** Where the invitation goes. */
  email: string;
}

const consequences: Record<LifecycleKind, { disable: string; enable: string }> = {
  master_reseller: {
    disable:
      "Its admins will not be able to sign in, nor will its resellers' admins, until you enable it again. Nothing is deleted.",
    enable: "Its admins will be able to sign in again.",
  },
  reseller: {
    disable:
      "Its admins will not be able to sign in until you enable it again. Its enterprises and their data are kept.",
    enable: "Its admins will be able to sign in again.",
  },
  enterprise: {
    disable:
      "Teamgate will stop serving its calls and PBX registrations until you enable it again. Nothing is deleted.",
    enable: "Teamgate will serve its calls and PBX registrations again.",
  },
};

/**
 * The row actions every lifecycle record shares: Edit, Disable/Enable (confirmed) and Resend
 * invitation (only while invited; confirmed, because it invalidates the previous code).
 */
export function useLifecycleActions(kind: LifecycleKind) {
  const queryClient = useQueryClient();
  const collection = collectionOf[kind];
  const run = useMutation({
    mutationFn: ({ id, action }: { id: string; action: LifecycleAction }) =>
      api.post<unknown>(`/${collection}/${encodeURIComponent(id)}/${action}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: [collection] }),
  });

  function perform(target: LifecycleTarget, action: LifecycleAction, success: string) {
    run.mutate(
      { id: target.id, action },
      {
        onSuccess: () => notifications.show({ color: "teal", message: success }),
        onError: (error) =>
          notifications.show({
            color: "red",
            title: "Nothing changed",
            message: isApiError(error) ? error.message : "Something unexpected happened.",
          }),
      },
    );
  }

  return function actionsFor(
    target: LifecycleTarget,
    options: {
      onEdit(): void;
      /** Further actions of the page, shown after Edit (e.g. "Admins"). */
      extra?: RowAction[];
    },
  ): RowAction[] {
    const allows = (verb: "update" | "disable" | "enable" | "resend_invitation") =>
      target.abilities.includes(`${kind}.${verb}`);
    const actions: RowAction[] = [];
    if (allows("update")) {
      actions.push({ label: "Edit", icon: <IconPencil size={16} />, onClick: options.onEdit });
    }
    actions.push(...(options.extra ?? []));
    if (allows("resend_invitation")) {
      actions.push({
        label: "Resend invitation",
        icon: <IconMail size={16} />,
        onClick: () =>
          confirmAction({
            title: "Resend invitation?",
            message: (
              <Text size="sm">
                A new invitation e-mail goes to <strong>{target.email}</strong>. The code in the
                previous invitation stops working.
              </Text>
            ),
            confirmLabel: "Resend invitation",
            onConfirm: () =>
              perform(target, "resend-invitation", `Invitation sent to ${target.email}`),
          }),
      });
    }
    if (allows("enable")) {
      actions.push({
        label: "Enable",
        icon: <IconCircleCheck size={16} />,
        onClick: () =>
          confirmAction({
            title: `Enable ${target.name}?`,
            message: consequences[kind].enable,
            confirmLabel: "Enable",
            onConfirm: () => perform(target, "enable", `${target.name} enabled`),
          }),
      });
    }
    if (allows("disable")) {
      actions.push({
        label: "Disable",
        icon: <IconBan size={16} />,
        color: "red",
        onClick: () =>
          confirmAction({
            title: `Disable ${target.name}?`,
            message: consequences[kind].disable,
            confirmLabel: "Disable",
            danger: true,
            onConfirm: () => perform(target, "disable", `${target.name} disabled`),
          }),
      });
    }
    return actions;
  };
}
