import { Anchor, Button, Group, Paper, SimpleGrid, Stack, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import type { PbxTypeView, RegionView } from "../../../shared/contracts/catalog.ts";
import {
  CreateMasterResellerBody,
  type OrganizationView,
  UpdateMasterResellerBody,
} from "../../../shared/contracts/organizations.ts";
import { type FormFailure, placeErrors, validateForm } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { FormSection } from "../../components/FormSection.tsx";
import { PageHeader } from "../../components/PageHeader.tsx";
import { PageLoader } from "../../components/PageLoader.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { pbxTypesQuery, regionsQuery } from "../catalog/catalog.api.ts";
import { EntitlementFields } from "../catalog/EntitlementFields.tsx";
import { InvitationMailState } from "../invitations/InvitationStatus.tsx";
import {
  masterResellerQuery,
  useCreateMasterReseller,
  useUpdateMasterReseller,
} from "./master-resellers.api.ts";

const editRoute = getRouteApi("/app/master-resellers/$masterResellerId/edit");

function BackLink() {
  return (
    <Anchor component={Link} to="/master-resellers" size="sm" mb="xs" display="inline-block">
      ← Master resellers
    </Anchor>
  );
}

/** "Add Master Reseller" (operator). */
export function AddMasterResellerPage() {
  const regions = useQuery(regionsQuery);
  const pbxTypes = useQuery(pbxTypesQuery);
  return (
    <>
      <BackLink />
      <PageHeader
        title="Add Master Reseller"
        description="The admin receives an e-mail with an invitation code and a link to activate the portal account."
      />
      {regions.isError || pbxTypes.isError ? (
        <QueryError error={regions.error ?? pbxTypes.error} />
      ) : regions.data && pbxTypes.data ? (
        <MasterResellerForm regions={regions.data} pbxTypes={pbxTypes.data} />
      ) : (
        <PageLoader />
      )}
    </>
  );
}

/** Edit a master reseller; its e-mail is its login and cannot change here. */
export function EditMasterResellerPage() {
  const { masterResellerId } = editRoute.useParams();
  const record = useQuery(masterResellerQuery(masterResellerId));
  const regions = useQuery(regionsQuery);
  const pbxTypes = useQuery(pbxTypesQuery);
  const error = record.error ?? regions.error ?? pbxTypes.error;
  return (
    <>
      <BackLink />
      <PageHeader title={record.data ? `Edit ${record.data.name}` : "Edit master reseller"} />
      {error ? (
        <QueryError error={error} />
      ) : record.data && regions.data && pbxTypes.data ? (
        <MasterResellerForm
          key={record.data.id}
          existing={record.data}
          regions={regions.data}
          pbxTypes={pbxTypes.data}
        />
      ) : (
        <PageLoader />
      )}
    </>
  );
}

interface FormProps {
  existing?: OrganizationView;
  regions: RegionView[];
  pbxTypes: PbxTypeView[];
}

function MasterResellerForm({ existing, regions, pbxTypes }: FormProps) {
  const navigate = useNavigate();
  const create = useCreateMasterReseller();
  const update = useUpdateMasterReseller(existing?.id ?? "");
  const pending = create.isPending || update.isPending;
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const form = useForm({
    initialValues: {
      companyName: existing?.name ?? "",
      adminName: existing?.contactName ?? "",
      email: existing?.email ?? "",
      billingReference: existing?.billingReference ?? "",
      regionIds:
        existing?.regionIds ?? regions.filter((r) => r.status === "active").map((r) => r.id),
      pbxTypeIds: existing?.pbxTypeIds ?? pbxTypes.filter((t) => !t.isDisabled).map((t) => t.id),
    },
  });

  const onError = (error: unknown) => setFailure(placeErrors(form, error));
  const done = () => void navigate({ to: "/master-resellers" });

  const submit = form.onSubmit((values) => {
    setFailure(null);
    if (existing) {
      const { email: _email, ...editable } = values;
      const parsed = validateForm(form, UpdateMasterResellerBody, editable);
      if (!parsed) return;
      update.mutate(parsed, {
        onSuccess: (saved) => {
          notifications.show({ color: "teal", message: `${saved.name} saved` });
          done();
        },
        onError,
      });
      return;
    }
    const parsed = validateForm(form, CreateMasterResellerBody, values);
    if (!parsed) return;
    create.mutate(parsed, {
      onSuccess: (saved) => {
        notifications.show({
          color: "teal",
          message: `Master reseller ${saved.name} created; invitation sent to ${saved.email}`,
        });
        done();
      },
      onError,
    });
  });

  return (
    <Paper withBorder radius="md" p={{ base: "md", sm: "xl" }} maw={880}>
      <form onSubmit={submit} noValidate>
        <FormAlert failure={failure} />
        <Stack gap="xl">
          <FormSection title="Company" first>
            <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
              <TextInput label="Company name" required {...form.getInputProps("companyName")} />
              <TextInput
                label="Billing reference"
                description="Optional; copied into billing reports."
                {...form.getInputProps("billingReference")}
              />
            </SimpleGrid>
          </FormSection>
          <FormSection
            title="Admin"
            description="The first admin of the master reseller. The e-mail must not be used by any other account."
          >
            <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
              <TextInput label="Admin name" required {...form.getInputProps("adminName")} />
              <TextInput
                label="E-mail"
                type="email"
                required={!existing}
                disabled={Boolean(existing)}
                description={
                  existing
                    ? "The admin's login; it cannot be changed here."
                    : "The invitation goes to this address."
                }
                {...form.getInputProps("email")}
              />
            </SimpleGrid>
            {existing?.status === "invited" && existing.invitation ? (
              <InvitationMailState invitation={existing.invitation} />
            ) : null}
          </FormSection>
          <FormSection
            title="Entitlements"
            description="What this master reseller may pass on to its resellers. New resellers get all of them by default."
          >
            <EntitlementFields
              regions={regions}
              pbxTypes={pbxTypes}
              holder="the master reseller"
              regionField={form.getInputProps("regionIds")}
              pbxTypeField={form.getInputProps("pbxTypeIds")}
            />
          </FormSection>
          <Group justify="flex-end">
            <Button variant="default" component={Link} to="/master-resellers">
              Cancel
            </Button>
            <Button type="submit" loading={pending}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
