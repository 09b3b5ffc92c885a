import { Badge, Group, List, Stack, Text } from "@mantine/core";
import type {
  WorkflowRunView,
  WorkflowStepStatus,
  WorkflowStepView,
} from "../../shared/contracts/workflows.ts";
import { formatDateTime } from "./format.ts";

const stepStyles: Record<WorkflowStepStatus, { color: string; label: string }> = {
  pending: { color: "gray", label: "Pending" },
  running: { color: "blue", label: "Running" },
  waiting: { color: "yellow", label: "Waiting" },
  succeeded: { color: "teal", label: "Done" },
  failed: { color: "red", label: "Failed" },
  undone: { color: "gray", label: "Undone" },
};

function StepDetail({ step }: { step: WorkflowStepView }) {
  if (step.status === "succeeded" && step.drift.length > 0)
    return (
      <List size="xs" c="orange.9" aria-label={`How the tenant differs: ${step.title}`}>
        {step.drift.map((difference) => (
          <List.Item key={difference}>{difference}</List.Item>
        ))}
      </List>
    );
  if (step.status === "waiting" && step.waitReason)
    return (
      <Text size="xs" c="dimmed">
        {step.waitReason}
        {step.waitUntil ? ` — next check ${formatDateTime(step.waitUntil)}` : ""}
      </Text>
    );
  if (step.error && (step.status === "failed" || step.status === "pending"))
    return (
      <Text size="xs" c={step.status === "failed" ? "red" : "dimmed"}>
        {step.status === "pending" ? "Last attempt: " : ""}
        {step.error}
        {step.correlationId ? ` (request id ${step.correlationId})` : ""}
      </Text>
    );
  if (step.status === "succeeded" && step.finishedAt)
    return (
      <Text size="xs" c="dimmed">
        {formatDateTime(step.finishedAt)}
        {step.attempt > 1 ? `, after ${step.attempt} attempts` : ""}
      </Text>
    );
  return null;
}

/**
 * The steps of a workflow run, in order, each with its state in words (not only colour), what it
 * waits for, why it failed, and how the world differs from it since (drift). Used for every workflow: the Teams Administrator role, Direct
 * Routing.
 */
export function WorkflowSteps({ run, label }: { run: WorkflowRunView; label: string }) {
  return (
    <List aria-label={label} listStyleType="none" spacing="xs" p={0}>
      {run.steps.map((step, position) => {
        const style =
          step.status === "succeeded" && step.drift.length > 0
            ? { color: "orange", label: "Differs" }
            : stepStyles[step.status];
        return (
          <List.Item key={step.id}>
            <Stack gap={2}>
              <Group gap="xs" wrap="nowrap">
                <Text size="sm" c="dimmed" w="1.5em">
                  {position + 1}.
                </Text>
                <Text size="sm">{step.title}</Text>
                <Badge
                  color={style.color}
                  variant="light"
                  radius="sm"
                  style={{ minWidth: "max-content" }}
                >
                  {style.label}
                </Badge>
              </Group>
              <div style={{ paddingLeft: "2em" }}>
                <StepDetail step={step} />
              </div>
            </Stack>
          </List.Item>
        );
      })}
    </List>
  );
}
