import { Button, Group, Modal, Select, Stack, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import { CreateRegionBody, type RegionView } from "../../../shared/contracts/catalog.ts";
import { type FormFailure, placeErrors, validateForm } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { useSaveRegion } from "./catalog.api.ts";

interface RegionFormModalProps {
  opened: boolean;
  /** The region to edit; none to add one. */
  region: RegionView | null;
  onClose(): void;
}

/** Add or edit an SBC region (operator). */
export function RegionFormModal({ opened, region, onClose }: RegionFormModalProps) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={region ? `Edit ${region.name}` : "Add SBC region"}
      centered
    >
      {opened ? <RegionForm key={region?.id ?? "new"} region={region} onDone={onClose} /> : null}
    </Modal>
  );
}

function RegionForm({ region, onDone }: { region: RegionView | null; onDone(): void }) {
  const save = useSaveRegion();
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const form = useForm({
    initialValues: {
      name: region?.name ?? "",
      carrierFqdn: region?.carrierFqdn ?? "",
      status: region?.status ?? "active",
    },
  });

  const submit = form.onSubmit((values) => {
    setFailure(null);
    const parsed = validateForm(form, CreateRegionBody, values);
    if (!parsed) return;
    save.mutate(region ? { id: region.id, body: parsed } : { body: parsed }, {
      onSuccess: (saved) => {
        notifications.show({
          color: "teal",
          message: region ? `SBC region ${saved.name} saved` : `SBC region ${saved.name} added`,
        });
        onDone();
      },
      onError: (error) => setFailure(placeErrors(form, error)),
    });
  });

  return (
    <form onSubmit={submit} noValidate>
      <FormAlert failure={failure} />
      <Stack gap="md">
        <TextInput
          label="Name"
          placeholder="US East 1"
          required
          data-autofocus
          {...form.getInputProps("name")}
        />
        <TextInput
          label="Carrier trunk FQDN"
          placeholder="use1.sbc.example.net"
          description="Each enterprise gets a subdomain of it for Direct Routing."
          required
          {...form.getInputProps("carrierFqdn")}
        />
        <Select
          label="Status"
          required
          data={[
            { value: "active", label: "Active" },
            { value: "disabled", label: "Disabled" },
          ]}
          allowDeselect={false}
          {...form.getInputProps("status")}
        />
        <Group justify="flex-end" mt="sm">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending}>
            {region ? "Save" : "Add region"}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
