import {
  Button,
  Checkbox,
  Group,
  Modal,
  Select,
  SimpleGrid,
  Stack,
  TextInput,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import {
  CreatePbxTypeBody,
  type PbxTypeView,
  UpdatePbxTypeBody,
} from "../../../shared/contracts/catalog.ts";
import { dnsLookups, transportLabels, transports } from "../../../shared/contracts/pbx.ts";
import { type FormFailure, placeErrors, validateForm } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { hostingTypeLabels, useSavePbxType } from "./catalog.api.ts";

interface PbxTypeFormModalProps {
  opened: boolean;
  pbxType: PbxTypeView | null;
  onClose(): void;
}

/** Add or edit a PBX type (operator). */
export function PbxTypeFormModal({ opened, pbxType, onClose }: PbxTypeFormModalProps) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={pbxType ? `Edit ${pbxType.name}` : "Add PBX type"}
      centered
    >
      {opened ? (
        <PbxTypeForm key={pbxType?.id ?? "new"} pbxType={pbxType} onDone={onClose} />
      ) : null}
    </Modal>
  );
}

function PbxTypeForm({ pbxType, onDone }: { pbxType: PbxTypeView | null; onDone(): void }) {
  const save = useSavePbxType();
  const [failure, setFailure] = useState<FormFailure | null>(null);
  // The label follows the name until the person types a label of their own (or when editing a
  // type whose label already differs from its name).
  const [labelFollowsName, setLabelFollowsName] = useState(
    !pbxType || pbxType.label === pbxType.name,
  );
  const form = useForm({
    initialValues: {
      name: pbxType?.name ?? "",
      label: pbxType?.label ?? "",
      hostingType: pbxType?.hostingType ?? "hosted",
      isDefault: pbxType?.isDefault ?? false,
      isDisabled: pbxType?.isDisabled ?? false,
      defaultDnsLookup: pbxType?.defaultDnsLookup ?? "A",
      defaultTransport: pbxType?.defaultTransport ?? "udp",
      defaultVoicemailFeatureCode: pbxType?.defaultVoicemailFeatureCode ?? "",
      hasApi: pbxType?.hasApi ?? false,
    },
  });

  const submit = form.onSubmit((values) => {
    setFailure(null);
    const parsed = validateForm(form, pbxType ? UpdatePbxTypeBody : CreatePbxTypeBody, values);
    if (!parsed) return;
    save.mutate(
      pbxType ? { id: pbxType.id, body: parsed } : { body: parsed as CreatePbxTypeBody },
      {
        onSuccess: (saved) => {
          notifications.show({
            color: "teal",
            message: pbxType ? `PBX type ${saved.name} saved` : `PBX type ${saved.name} added`,
          });
          onDone();
        },
        onError: (error) => setFailure(placeErrors(form, error)),
      },
    );
  });

  return (
    <form onSubmit={submit} noValidate>
      <FormAlert failure={failure} />
      <Stack gap="md">
        <TextInput
          label="Name"
          placeholder="RingLogix"
          required
          data-autofocus
          {...form.getInputProps("name")}
          onChange={(event) => {
            const name = event.currentTarget.value;
            form.setFieldValue("name", name);
            if (labelFollowsName) {
              form.setFieldValue("label", name);
              form.clearFieldError("label");
            }
          }}
        />
        <TextInput
          label="Label"
          description="What resellers and enterprises see in PBX type lists. Filled from the name until you change it."
          required
          {...form.getInputProps("label")}
          onChange={(event) => {
            const label = event.currentTarget.value;
            form.setFieldValue("label", label);
            // An emptied label follows the name again.
            setLabelFollowsName(label === "");
          }}
        />
        <Select
          label="Hosting type"
          required
          data={Object.entries(hostingTypeLabels).map(([value, label]) => ({ value, label }))}
          allowDeselect={false}
          {...form.getInputProps("hostingType")}
        />
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Select
            label="Default DNS lookup"
            description="For new PBX locations of this type."
            required
            allowDeselect={false}
            data={[...dnsLookups]}
            {...form.getInputProps("defaultDnsLookup")}
          />
          <Select
            label="Default transport"
            description="For new PBX locations of this type."
            required
            allowDeselect={false}
            data={transports.map((value) => ({ value, label: transportLabels[value] }))}
            {...form.getInputProps("defaultTransport")}
          />
        </SimpleGrid>
        <TextInput
          label="Default voicemail feature code"
          description="What the PBX dials for voicemail, such as *97. Optional."
          {...form.getInputProps("defaultVoicemailFeatureCode")}
        />
        <Checkbox
          label="Has an API"
          description="PBX locations of this type may hold API credentials (token URL, client ID and secret)."
          {...form.getInputProps("hasApi", { type: "checkbox" })}
        />
        <Checkbox
          label="Default"
          description="Suggested first when a PBX is added."
          {...form.getInputProps("isDefault", { type: "checkbox" })}
        />
        <Checkbox
          label="Disabled"
          description="Cannot be assigned to new enterprises; existing assignments stay."
          {...form.getInputProps("isDisabled", { type: "checkbox" })}
        />
        <Group justify="flex-end" mt="sm">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending}>
            {pbxType ? "Save" : "Add PBX type"}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
