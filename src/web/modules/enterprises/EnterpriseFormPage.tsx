import {
  Alert,
  Anchor,
  Button,
  Checkbox,
  Group,
  MultiSelect,
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
  CreateEnterpriseBody,
  type EnterpriseView,
  UpdateEnterpriseBody,
  userLimitOfText,
} from "../../../shared/contracts/enterprises.ts";
import { type FormFailure, focusFirstError, placeErrors, validateForm } from "../../api/forms.ts";
import { DualList } from "../../components/DualList.tsx";
import { FormAlert } from "../../components/FormAlert.tsx";
import { FormSection } from "../../components/FormSection.tsx";
import { IconInfo } from "../../components/icons.tsx";
import { renderNamedPill } from "../../components/NamedPill.tsx";
import { PageHeader } from "../../components/PageHeader.tsx";
import { PageLoader } from "../../components/PageLoader.tsx";
import { QueryError } from "../../components/QueryError.tsx";
import { useSession } from "../auth/session.ts";
import { hostingTypeLabels, pbxTypesQuery, regionsQuery } from "../catalog/catalog.api.ts";
import { regionOptions } from "../catalog/EntitlementFields.tsx";
import { InvitationMailState } from "../invitations/InvitationStatus.tsx";
import { enterpriseQuery, useCreateEnterprise, useUpdateEnterprise } from "./enterprises.api.ts";

const editRoute = getRouteApi("/app/enterprises/$enterpriseId/edit");
const allServices: Service[] = ["PBX", "TRUNK"];

function BackLink() {
  return (
    <Anchor component={Link} to="/enterprises" size="sm" mb="xs" display="inline-block">
      ← Enterprises
    </Anchor>
  );
}

/** "Add Enterprise" (seed 3): a reseller adds a customer and invites its Global Administrator. */
export function AddEnterprisePage() {
  const session = useSession();
  const regions = useQuery(regionsQuery);
  const pbxTypes = useQuery(pbxTypesQuery);
  const isReseller = session.organization.kind === "reseller";
  return (
    <>
      <BackLink />
      <PageHeader
        title="Add Enterprise"
        description="Within seconds of Submit, the enterprise's Microsoft Global Administrator receives an e-mail with an invitation code and a Complete button."
      />
      {!isReseller ? (
        <Alert color="blue" variant="light" icon={<IconInfo />} title="Added by resellers">
          Enterprises are added by the reseller they belong to. Sign in as that reseller to add one.
        </Alert>
      ) : regions.isError || pbxTypes.isError ? (
        <QueryError error={regions.error ?? pbxTypes.error} />
      ) : regions.data && pbxTypes.data ? (
        <EnterpriseForm
          resellerId={session.organization.id}
          sellable={session.organization.services}
          regions={regions.data}
          pbxTypes={pbxTypes.data}
        />
      ) : (
        <PageLoader />
      )}
    </>
  );
}

/** Edit an enterprise; the admin e-mail can change only while the invitation is pending. */
export function EditEnterprisePage() {
  const session = useSession();
  const { enterpriseId } = editRoute.useParams();
  const record = useQuery(enterpriseQuery(enterpriseId));
  const regions = useQuery(regionsQuery);
  const pbxTypes = useQuery(pbxTypesQuery);
  const error = record.error ?? regions.error ?? pbxTypes.error;
  return (
    <>
      <BackLink />
      <PageHeader title={record.data ? `Edit ${record.data.name}` : "Edit enterprise"} />
      {error ? (
        <QueryError error={error} />
      ) : record.data && regions.data && pbxTypes.data ? (
        <EnterpriseForm
          key={record.data.id}
          existing={record.data}
          sellable={
            session.organization.kind === "reseller" ? session.organization.services : allServices
          }
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
  resellerId?: string;
  existing?: EnterpriseView;
  /** Services the reseller sells; the enterprise may have only these. */
  sellable: Service[];
  regions: RegionView[];
  pbxTypes: PbxTypeView[];
}

interface Values {
  name: string;
  adminEmail: string;
  /** As typed: never converted before the contract has accepted it. */
  userLimit: string;
  pbxMusicOnHold: boolean;
  accessSipData: boolean;
  requestManagementConsent: boolean;
  billingReference: string;
  regionIds: string[];
  services: Service[];
  pbxTypeIds: string[];
}

/**
 * The request body the form's values stand for (blank user limit = unlimited). A user limit that
 * is not digits stays text, so the contract refuses it next to the field rather than guessing.
 */
function bodyOf(values: Values) {
  return {
    ...values,
    userLimit: userLimitOfText(values.userLimit),
    pbxTypeIds: values.services.includes("PBX") ? values.pbxTypeIds : [],
  };
}

function EnterpriseForm({ resellerId, existing, sellable, regions, pbxTypes }: FormProps) {
  const navigate = useNavigate();
  const create = useCreateEnterprise();
  const update = useUpdateEnterprise(existing?.id ?? "");
  const pending = create.isPending || update.isPending;
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const activeRegions = regions.filter((r) => r.status === "active");
  const emailEditable = !existing || existing.status === "invited";
  // Offer what the reseller sells, plus anything the enterprise already has.
  const offered = allServices.filter((s) => sellable.includes(s) || existing?.services.includes(s));
  const form = useForm<Values>({
    initialValues: {
      name: existing?.name ?? "",
      adminEmail: existing?.adminEmail ?? "",
      userLimit: existing?.userLimit == null ? "" : String(existing.userLimit),
      pbxMusicOnHold: existing?.pbxMusicOnHold ?? false,
      accessSipData: existing?.accessSipData ?? false,
      requestManagementConsent: existing?.requestManagementConsent ?? false,
      billingReference: existing?.billingReference ?? "",
      regionIds:
        existing?.regionIds ??
        (activeRegions.length === 1 && activeRegions[0] ? [activeRegions[0].id] : []),
      services: existing?.services ?? (offered.length === 1 ? offered : []),
      pbxTypeIds: existing?.pbxTypeIds ?? [],
    },
  });
  const values = form.getValues();
  const pbxSelected = values.services.includes("PBX");
  const pbxTypeItems = pbxTypes
    .filter((t) => !t.isDisabled || values.pbxTypeIds.includes(t.id))
    .map((t) => ({
      value: t.id,
      label: t.label,
      description: hostingTypeLabels[t.hostingType],
      tag: t.isDisabled ? "Disabled" : t.isDefault ? "Default" : undefined,
    }));

  const onError = (error: unknown) => {
    setFailure(placeErrors(form, error));
    focusFirstError();
  };
  const done = () => void navigate({ to: "/enterprises" });

  const submit = form.onSubmit((v) => {
    setFailure(null);
    const body = bodyOf(v);
    if (existing) {
      const { adminEmail, ...rest } = body;
      const changedEmail = emailEditable && adminEmail.trim().toLowerCase() !== existing.adminEmail;
      const parsed = validateForm(
        form,
        UpdateEnterpriseBody,
        changedEmail ? { ...rest, adminEmail } : rest,
      );
      if (!parsed) return;
      update.mutate(parsed, {
        onSuccess: (saved) => {
          notifications.show({
            color: "teal",
            message: changedEmail
              ? `${saved.name} saved; invitation sent to ${saved.adminEmail}`
              : `${saved.name} saved`,
          });
          done();
        },
        onError,
      });
      return;
    }
    const parsed = validateForm(form, CreateEnterpriseBody, body);
    if (!parsed) return;
    create.mutate(
      { resellerId: resellerId ?? "", body: parsed },
      {
        onSuccess: (saved) => {
          notifications.show({
            color: "teal",
            message: `Enterprise ${saved.name} created; invitation sent to ${saved.adminEmail}`,
          });
          done();
        },
        onError,
      },
    );
  });

  return (
    <Paper withBorder radius="md" p={{ base: "md", sm: "xl" }} maw={920}>
      <form onSubmit={submit} noValidate>
        <FormAlert failure={failure} />
        <Stack gap="xl">
          <FormSection title="Enterprise" first>
            <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
              <TextInput label="Enterprise name" required {...form.getInputProps("name")} />
              <TextInput
                label="Enterprise admin e-mail"
                type="email"
                required={emailEditable}
                disabled={!emailEditable}
                description={
                  emailEditable
                    ? "The customer's Microsoft Global Administrator; the invitation goes there. Must not be used by any other account."
                    : "Fixed once the enterprise has registered with Microsoft."
                }
                {...form.getInputProps("adminEmail")}
              />
              <TextInput
                label="User limit"
                description="Optional. Teams users that may be configured: a whole number of at least 1; blank = unlimited."
                inputMode="numeric"
                autoComplete="off"
                {...form.getInputProps("userLimit")}
              />
              <TextInput
                label="Billing reference"
                description="Optional; included in billing reports."
                {...form.getInputProps("billingReference")}
              />
            </SimpleGrid>
            {existing?.status === "invited" && existing.invitation ? (
              <InvitationMailState invitation={existing.invitation} />
            ) : null}
          </FormSection>

          <FormSection title="Options">
            <Stack gap="sm">
              <Checkbox
                label="PBX music on hold"
                description="Held callers hear the music on hold configured on the PBX. Off: Teamgate's built-in music, which cannot be customised."
                {...form.getInputProps("pbxMusicOnHold", { type: "checkbox" })}
              />
              <Checkbox
                label="Access SIP data"
                description="The enterprise's Microsoft admins may see CDRs and SIP traces."
                {...form.getInputProps("accessSipData", { type: "checkbox" })}
              />
              <Checkbox
                label="Request consent for enterprise management"
                description="The enterprise admin is offered “Grant consent”, letting you provision on their behalf."
                {...form.getInputProps("requestManagementConsent", { type: "checkbox" })}
              />
            </Stack>
          </FormSection>

          <FormSection title="Connection">
            <MultiSelect
              label="SBC region(s)"
              description="The region closest to the enterprise first (its primary); add a second for failover, in the order calls should try them."
              data={regionOptions(regions, values.regionIds)}
              searchable
              clearable
              renderPill={renderNamedPill}
              required
              nothingFoundMessage={
                activeRegions.length ? "No such region" : "You have no SBC regions to offer"
              }
              maw={560}
              {...form.getInputProps("regionIds")}
            />
            <Checkbox.Group
              label="Services"
              description="The services this enterprise will use."
              required
              {...form.getInputProps("services")}
            >
              <Group gap="xl" mt="xs">
                {offered.map((s) => (
                  <Checkbox key={s} value={s} label={serviceLabels[s]} />
                ))}
              </Group>
            </Checkbox.Group>
            {pbxSelected ? (
              <DualList
                label="PBX types"
                description="Move the PBX platforms this enterprise uses to “Assigned PBX types”."
                availableTitle="Unassigned PBX types"
                assignedTitle="Assigned PBX types"
                required
                items={pbxTypeItems}
                value={values.pbxTypeIds}
                onChange={(ids) => {
                  form.setFieldValue("pbxTypeIds", ids);
                  form.clearFieldError("pbxTypeIds");
                }}
                error={form.errors.pbxTypeIds}
              />
            ) : null}
          </FormSection>

          <Group justify="flex-end">
            <Button variant="default" component={Link} to="/enterprises">
              Cancel
            </Button>
            <Button type="submit" loading={pending}>
              {existing ? "Save" : "Submit"}
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
