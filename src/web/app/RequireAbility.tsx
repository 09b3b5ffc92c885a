import { Alert, Anchor } from "@mantine/core";
import { Link } from "@tanstack/react-router";
import type { ReactNode } from "react";
import type { Action } from "../../shared/permissions.ts";
import { IconLock } from "../components/icons.tsx";
import { landingPath, useCan, useSession } from "../modules/auth/session.ts";

/** Renders the page only when the user's role allows the action; the server enforces it too. */
export function RequireAbility({ action, children }: { action: Action; children: ReactNode }) {
  const session = useSession();
  const can = useCan();
  if (can(action)) return children;
  return (
    <Alert color="gray" variant="light" icon={<IconLock />} title="Not available for your role">
      This page is not part of what your account may do.{" "}
      <Anchor component={Link} to={landingPath(session.organization.kind)}>
        Go to your start page
      </Anchor>
    </Alert>
  );
}
