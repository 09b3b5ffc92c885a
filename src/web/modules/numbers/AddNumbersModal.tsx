import { Button, Group, Modal, SegmentedControl, Stack, Text, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { useId, useState } from "react";
import {
  AddNumbersBody,
  normalizePhoneNumber,
  rangeProblem,
} from "../../../shared/contracts/numbers.ts";
import { type FormFailure, placeErrors, validateForm } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { useAddNumbers } from "./numbers.api.ts";

interface AddNumbersModalProps {
  opened: boolean;
  enterpriseId: string;
  onClose(): void;
}

/** "Add numbers": one number, or a range with a live count of how many numbers it holds. */
export function AddNumbersModal({ opened, enterpriseId, onClose }: AddNumbersModalProps) {
  return (
    <Modal opened={opened} onClose={onClose} title="Add numbers" centered>
      {opened ? <AddNumbersForm enterpriseId={enterpriseId} onDone={onClose} /> : null}
    </Modal>
  );
}

type Mode = "single" | "range";

/** How many numbers the range typed so far holds, or why it is not a range yet. */
export function describeRange(from: string, to: string): string | null {
  const a = normalizePhoneNumber(from);
  const b = normalizePhoneNumber(to);
  if (!a || !b) return null;
  const range = rangeProblem(a, b);
  if ("problem" in range) return range.problem;
  return range.size === 1 ? "1 number" : `${range.size.toLocaleString("en")} numbers`;
}

function AddNumbersForm({ enterpriseId, onDone }: { enterpriseId: string; onDone(): void }) {
  const add = useAddNumbers(enterpriseId);
  const [mode, setMode] = useState<Mode>("single");
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const modeLabelId = useId();
  const form = useForm({ initialValues: { number: "", from: "", to: "" } });
  const { from, to } = form.getValues();
  const count = mode === "range" ? describeRange(from, to) : null;

  const submit = form.onSubmit((values) => {
    setFailure(null);
    const body = validateForm(
      form,
      AddNumbersBody,
      mode === "single" ? { number: values.number } : { from: values.from, to: values.to },
    );
    if (!body) return;
    add.mutate(body, {
      onSuccess: (added) => {
        notifications.show({
          color: "teal",
          message:
            added.count === 1
              ? `${added.first} added`
              : `${added.count.toLocaleString("en")} numbers added (${added.first} – ${added.last})`,
        });
        onDone();
      },
      onError: (error) => setFailure(placeErrors(form, error)),
    });
  });

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <FormAlert failure={failure} title="The numbers were not added" />
        <div>
          <Text id={modeLabelId} size="sm" fw={500} mb={4}>
            Add
          </Text>
          <SegmentedControl
            aria-labelledby={modeLabelId}
            value={mode}
            onChange={(value) => {
              setMode(value as Mode);
              form.clearErrors();
            }}
            data={[
              { value: "single", label: "One number" },
              { value: "range", label: "A range" },
            ]}
          />
        </div>
        {mode === "single" ? (
          <TextInput
            label="Number"
            description="E.164: + and 8 to 15 digits, such as +442079460000"
            autoComplete="off"
            data-autofocus
            {...form.getInputProps("number")}
          />
        ) : (
          <>
            <Group grow align="flex-start">
              <TextInput label="From" autoComplete="off" {...form.getInputProps("from")} />
              <TextInput label="To" autoComplete="off" {...form.getInputProps("to")} />
            </Group>
            <Text size="sm" c="dimmed" aria-live="polite">
              {count ??
                "A range shares all but its last four digits; it holds at most 1,000 numbers."}
            </Text>
          </>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={add.isPending}>
            Add numbers
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
