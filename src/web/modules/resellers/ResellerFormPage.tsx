import {
  Alert,
  Anchor,
  Button,
  Checkbox,
  Group,
  Paper,
  SimpleGrid,
  Stack,
  TextInput,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import type { PbxTypeView, RegionView } from "../../../shared/contracts/catalog.ts";
import { type Service, serviceLabels } from "../../../shared/contracts/common.ts";
import {
  CreateResellerBody,
  type OrganizationView,
  UpdateResellerBody,
} from "../../../shared/contracts/organizations.ts";
import { type FormFailure, placeErrors, validateForm } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { FormSection } from "../../components/FormSection.tsx";
import { IconInfo } from "../../components/icons.tsx";
import { PageHeader } from "../../components/PageHeader.tsx";
import { PageLoader } from "../../components/PageLoader.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { useSession } from "../auth/session.ts";
import { pbxTypesQuery, regionsQuery } from "../catalog/catalog.api.ts";
import { EntitlementFields } from "../catalog/EntitlementFields.tsx";
import { InvitationMailState } from "../invitations/InvitationStatus.tsx";
import { masterResellerQuery } from "../master-resellers/master-resellers.api.ts";
import { resellerQuery, useCreateReseller, useUpdateReseller } from "./resellers.api.ts";

const addRoute = getRouteApi("/app/resellers/new");
const editRoute = getRouteApi("/app/resellers/$resellerId/edit");
const services: Service[] = ["PBX", "TRUNK"];

function BackLink() {
  return (
    <Anchor component={Link} to="/resellers" size="sm" mb="xs" display="inline-block">
      ← Resellers
    </Anchor>
  );
}

/**
 * "Add Reseller" (seed 2): a master reseller adds a partner organization below it. The operator
 * may add one too, from a master reseller's row menu (`?masterId=`), within that master's entitlements.
 */
export function AddResellerPage() {
  const session = useSession();
  const { masterId: chosenMaster } = addRoute.useSearch();
  const isMaster = session.organization.kind === "master_reseller";
  const masterId = isMaster ? session.organization.id : chosenMaster;
  const master = useQuery({
    ...masterResellerQuery(chosenMaster ?? ""),
    enabled: !isMaster && Boolean(chosenMaster),
  });
  const regions = useQuery(regionsQuery);
  const pbxTypes = useQuery(pbxTypesQuery);
  // Offer only what the master reseller is entitled to (the operator sees the whole catalogue).
  const entitled = isMaster ? null : master.data;
  const error = regions.error ?? pbxTypes.error ?? (isMaster ? null : master.error);
  const ready = regions.data && pbxTypes.data && (isMaster || entitled);
  return (
    <>
      <BackLink />
      <PageHeader
        title="Add Reseller"
        description={
          <>
            {entitled ? `Under ${entitled.name}. ` : ""}The reseller receives an activation e-mail
            at the preferred address, with an invitation code and a link to complete its account.
          </>
        }
      />
      {!masterId ? (
        <Alert color="blue" variant="light" icon={<IconInfo />} title="Choose a master reseller">
          Resellers belong to a master reseller. Open the ⋮ menu of a master reseller and choose
          “Add reseller”.
        </Alert>
      ) : error ? (
        <QueryError error={error} />
      ) : ready && regions.data && pbxTypes.data ? (
        <ResellerForm
          masterId={masterId}
          regions={
            entitled ? regions.data.filter((r) => entitled.regionIds.includes(r.id)) : regions.data
          }
          pbxTypes={
            entitled
              ? pbxTypes.data.filter((t) => entitled.pbxTypeIds.includes(t.id))
              : pbxTypes.data
          }
        />
      ) : (
        <PageLoader />
      )}
    </>
  );
}

/** Edit a reseller; its preferred e-mail is its login and cannot change here. */
export function EditResellerPage() {
  const { resellerId } = editRoute.useParams();
  const record = useQuery(resellerQuery(resellerId));
  const regions = useQuery(regionsQuery);
  const pbxTypes = useQuery(pbxTypesQuery);
  const error = record.error ?? regions.error ?? pbxTypes.error;
  return (
    <>
      <BackLink />
      <PageHeader title={record.data ? `Edit ${record.data.name}` : "Edit reseller"} />
      {error ? (
        <QueryError error={error} />
      ) : record.data && regions.data && pbxTypes.data ? (
        <ResellerForm
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
  masterId?: string;
  existing?: OrganizationView;
  regions: RegionView[];
  pbxTypes: PbxTypeView[];
}

function ResellerForm({ masterId, existing, regions, pbxTypes }: FormProps) {
  const navigate = useNavigate();
  const create = useCreateReseller();
  const update = useUpdateReseller(existing?.id ?? "");
  const pending = create.isPending || update.isPending;
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const form = useForm({
    initialValues: {
      name: existing?.name ?? "",
      email: existing?.email ?? "",
      services: existing?.services ?? ([] as Service[]),
      billingReference: existing?.billingReference ?? "",
      regionIds:
        existing?.regionIds ?? regions.filter((r) => r.status === "active").map((r) => r.id),
      pbxTypeIds: existing?.pbxTypeIds ?? pbxTypes.filter((t) => !t.isDisabled).map((t) => t.id),
    },
  });

  const onError = (error: unknown) => setFailure(placeErrors(form, error));
  const done = () => void navigate({ to: "/resellers" });

  const submit = form.onSubmit((values) => {
    setFailure(null);
    if (existing) {
      const { email: _email, ...editable } = values;
      const parsed = validateForm(form, UpdateResellerBody, editable);
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
    const parsed = validateForm(form, CreateResellerBody, values);
    if (!parsed) return;
    create.mutate(
      { masterId: masterId ?? "", body: parsed },
      {
        onSuccess: (saved) => {
          notifications.show({
            color: "teal",
            message: `Reseller ${saved.name} created; activation e-mail sent to ${saved.email}`,
          });
          done();
        },
        onError,
      },
    );
  });

  return (
    <Paper withBorder radius="md" p={{ base: "md", sm: "xl" }} maw={880}>
      <form onSubmit={submit} noValidate>
        <FormAlert failure={failure} />
        <Stack gap="xl">
          <FormSection title="Reseller" first>
            <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
              <TextInput label="Reseller name" required {...form.getInputProps("name")} />
              <TextInput
                label="Preferred e-mail"
                type="email"
                required={!existing}
                disabled={Boolean(existing)}
                description={
                  existing
                    ? "The reseller's login; it cannot be changed here."
                    : "Receives the activation e-mail. Must not be used by any other account (master reseller, reseller or enterprise)."
                }
                {...form.getInputProps("email")}
              />
            </SimpleGrid>
            {existing?.status === "invited" && existing.invitation ? (
              <InvitationMailState invitation={existing.invitation} />
            ) : null}
            <Checkbox.Group
              label="Services"
              description="What the reseller may sell to its enterprises."
              required
              {...form.getInputProps("services")}
            >
              <Group gap="xl" mt="xs">
                {services.map((s) => (
                  <Checkbox key={s} value={s} label={serviceLabels[s]} />
                ))}
              </Group>
            </Checkbox.Group>
            <TextInput
              label="Billing reference"
              description="Optional; any value. Included in billing reports so you can match the reseller in your billing system."
              maw={420}
              {...form.getInputProps("billingReference")}
            />
          </FormSection>
          <FormSection
            title="Entitlements"
            description="The SBC regions and PBX types this reseller may offer. By default, everything you have."
          >
            <EntitlementFields
              regions={regions}
              pbxTypes={pbxTypes}
              holder="the reseller"
              regionField={form.getInputProps("regionIds")}
              pbxTypeField={form.getInputProps("pbxTypeIds")}
            />
          </FormSection>
          <Group justify="flex-end">
            <Button variant="default" component={Link} to="/resellers">
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
