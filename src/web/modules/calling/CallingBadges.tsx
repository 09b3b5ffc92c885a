import { Badge } from "@mantine/core";
import {
  type CallingService,
  type CallingStatus,
  callingServiceLabels,
  type RegistrationState,
  type TeamsPushState,
} from "../../../shared/contracts/calling.ts";

type Style = { color: string; label: string };

/** At least as wide as its label, so a table column cannot squeeze it into "PUSHI…". */
function LabelBadge({ style, variant = "light" }: { style: Style; variant?: "light" | "outline" }) {
  return (
    <Badge color={style.color} variant={variant} radius="sm" style={{ minWidth: "max-content" }}>
      {style.label}
    </Badge>
  );
}

export function ServiceBadge({ service }: { service: CallingService }) {
  return (
    <LabelBadge
      style={{
        color: service === "pbx" ? "indigo" : "grape",
        label: callingServiceLabels[service],
      }}
      variant="outline"
    />
  );
}

export const callingStatusLabels: Record<CallingStatus, Style> = {
  active: { color: "teal", label: "Active" },
  calling_disabled: { color: "yellow", label: "Calling disabled" },
  disabled: { color: "gray", label: "Disabled" },
  deleted: { color: "red", label: "Deleted" },
};

/** Where a configured user stands: active, calling disabled, disabled, deleted. */
export function CallingStatusBadge({ status }: { status: CallingStatus }) {
  return <LabelBadge style={callingStatusLabels[status]} />;
}

export const teamsStateLabels: Record<TeamsPushState, Style> = {
  done: { color: "teal", label: "In Teams" },
  pending: { color: "blue", label: "Pushing…" },
  waiting: { color: "yellow", label: "Waiting for an enterprise admin" },
  failed: { color: "red", label: "Failed" },
};

/** How far the user's configuration has reached Microsoft Teams. */
export function TeamsStateBadge({ state }: { state: TeamsPushState }) {
  return <LabelBadge style={teamsStateLabels[state]} />;
}

export const registrationLabels: Record<RegistrationState, Style> = {
  registered: { color: "teal", label: "Registered" },
  failed: { color: "red", label: "Registration failed" },
  unregistered: { color: "gray", label: "Not registered" },
  unknown: { color: "gray", label: "Unknown" },
};

/** The device's registration with the PBX. */
export function RegistrationBadge({ state }: { state: RegistrationState }) {
  return <LabelBadge style={registrationLabels[state]} />;
}
