import {
  Alert,
  Button,
  Group,
  Modal,
  MultiSelect,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  TextInput,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import {
  type CallingService,
  type CallingView,
  ConfigureUserBody,
  callingServiceLabels,
  callingServices,
} from "../../../shared/contracts/calling.ts";
import type {
  CallerNamePolicy,
  ForwardedCallerId,
  PbxView,
} from "../../../shared/contracts/pbx.ts";
import type { UserSummary } from "../../../shared/contracts/users.ts";
import { type FormFailure, placeErrors, validateForm } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { FormSection } from "../../components/FormSection.tsx";
import { IconAlertCircle } from "../../components/icons.tsx";
import { PasswordField } from "../../components/PasswordField.tsx";
import {
  availableNumbersQuery,
  type CallingAudience,
  pbxChoicesQuery,
  type RegionChoice,
  useConfigureUser,
  useEnterpriseRegions,
} from "./calling.api.ts";

interface ConfigureUserModalProps {
  opened: boolean;
  enterpriseId: string;
  audience: CallingAudience;
  user: UserSummary;
  /** The configuration to edit; null configures the user for the first time. */
  calling: CallingView | null;
  onClose(): void;
}

/** "Configure for calling" or Edit (SPEC §2.6): a PBX user with its device, or a trunk user. */
export function ConfigureUserModal({
  opened,
  enterpriseId,
  audience,
  user,
  calling,
  onClose,
}: ConfigureUserModalProps) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={calling ? `Edit calling of ${user.displayName}` : `Configure ${user.displayName}`}
      size="lg"
      centered
    >
      {opened ? (
        <ConfigureChoices
          enterpriseId={enterpriseId}
          audience={audience}
          user={user}
          calling={calling}
          onDone={onClose}
        />
      ) : null}
    </Modal>
  );
}

interface FormProps {
  enterpriseId: string;
  audience: CallingAudience;
  user: UserSummary;
  calling: CallingView | null;
  onDone(): void;
}

/** Loads what the selects offer, then shows the form (its defaults need the PBX locations). */
function ConfigureChoices(props: FormProps) {
  const pbxes = useQuery(pbxChoicesQuery(props.enterpriseId));
  const numbers = useQuery(availableNumbersQuery(props.enterpriseId));
  const { regions, isPending } = useEnterpriseRegions(props.enterpriseId);
  if (pbxes.isPending || numbers.isPending || isPending) {
    return (
      <Text size="sm" c="dimmed" role="status">
        Loading the PBX locations, regions and phone numbers…
      </Text>
    );
  }
  if (pbxes.isError || numbers.isError) {
    return (
      <Alert color="red" variant="light" icon={<IconAlertCircle />} title="Could not load the form">
        The PBX locations or phone numbers could not be loaded. Close this window and try again.
      </Alert>
    );
  }
  return (
    <ConfigureForm
      {...props}
      pbxes={pbxes.data.items}
      available={numbers.data.items.map((n) => n.number)}
      regions={regions}
    />
  );
}

interface FormValues {
  service: CallingService;
  pbxId: string;
  regionId: string;
  sipUser: string;
  phoneNumber: string;
  forwardedDids: string[];
  teamsVoicemail: boolean;
  assignDialPlan: boolean;
  callerNamePolicy: CallerNamePolicy;
  callerName: string;
  forwardedCallerId: ForwardedCallerId;
  tag: string;
  sipAuthId: string;
  sipPassword: string;
}

/** The labels of fields the server may name that have no control of their own. */
const otherFieldLabels = { userId: "User" };

function ConfigureForm({
  enterpriseId,
  user,
  calling,
  onDone,
  pbxes,
  available,
  regions,
}: FormProps & { pbxes: PbxView[]; available: string[]; regions: RegionChoice[] }) {
  const save = useConfigureUser(enterpriseId, user.id);
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const firstPbx = calling ? undefined : pbxes[0];
  const form = useForm<FormValues>({
    initialValues: {
      service: calling?.service ?? "pbx",
      pbxId: calling?.pbxId ?? firstPbx?.id ?? "",
      regionId: calling?.regionId ?? (regions.length === 1 ? (regions[0]?.value ?? "") : ""),
      sipUser: calling?.sipUser ?? "",
      phoneNumber: calling?.phoneNumber ?? "",
      forwardedDids: calling?.forwardedDids ?? [],
      teamsVoicemail: calling?.teamsVoicemail ?? false,
      assignDialPlan: calling?.assignDialPlan ?? true,
      callerNamePolicy: calling?.callerNamePolicy ?? firstPbx?.callerNamePolicy ?? "TRANSPARENT",
      callerName: calling?.callerName ?? firstPbx?.callerName ?? "",
      forwardedCallerId:
        calling?.forwardedCallerId ?? firstPbx?.forwardedCallerId ?? "USER_CALLER_ID",
      tag: calling?.tag ?? "",
      sipAuthId: calling?.device?.sipAuthId ?? "",
      sipPassword: "",
    },
  });
  const values = form.getValues();
  const isPbx = values.service === "pbx";
  const pbx = pbxes.find((p) => p.id === values.pbxId);
  const hasStoredPassword = Boolean(calling?.device?.hasSipPassword);

  // The user's own numbers stay choices while editing; the rest are the available ones.
  const held = calling ? [calling.phoneNumber, ...calling.forwardedDids] : [];
  const numberChoices = [...new Set([...held, ...available])].sort();
  const pbxChoices = pbxes.map((p) => ({ value: p.id, label: p.locationName }));
  if (calling && !pbxes.some((p) => p.id === calling.pbxId))
    pbxChoices.unshift({ value: calling.pbxId, label: calling.pbxLocationName });
  const regionChoices =
    calling && !regions.some((r) => r.value === calling.regionId)
      ? [{ value: calling.regionId, label: calling.regionName }, ...regions]
      : regions;

  /** A user configured for the first time takes the chosen location's caller defaults. */
  const choosePbx = (id: string | null) => {
    form.setFieldValue("pbxId", id ?? "");
    const chosen = pbxes.find((p) => p.id === id);
    if (!calling && chosen) {
      form.setFieldValue("callerNamePolicy", chosen.callerNamePolicy);
      form.setFieldValue("callerName", chosen.callerName ?? "");
      form.setFieldValue("forwardedCallerId", chosen.forwardedCallerId);
    }
  };

  const submit = form.onSubmit((v) => {
    setFailure(null);
    // What the person typed goes as typed: the contract (here and on the server) says what is wrong.
    const pbxUser = v.service === "pbx";
    const body = {
      service: v.service,
      pbxId: v.pbxId,
      regionId: v.regionId,
      sipUser: pbxUser ? v.sipUser : null,
      phoneNumber: v.phoneNumber,
      forwardedDids: pbxUser ? [] : v.forwardedDids,
      teamsVoicemail: v.teamsVoicemail,
      assignDialPlan: v.assignDialPlan,
      callerNamePolicy: v.callerNamePolicy,
      callerName: v.callerNamePolicy === "OTHER" ? v.callerName : null,
      forwardedCallerId: v.forwardedCallerId,
      tag: v.tag,
      sipAuthId: pbxUser ? v.sipAuthId : null,
      ...(pbxUser && (v.sipPassword !== "" || !hasStoredPassword)
        ? { sipPassword: v.sipPassword }
        : {}),
    };
    const parsed = validateForm(form, ConfigureUserBody, body);
    if (!parsed) return;
    save.mutate(parsed, {
      onSuccess: () => {
        notifications.show({
          color: "teal",
          message: calling
            ? `${user.displayName}'s calling saved`
            : `${user.displayName} configured for calling`,
        });
        onDone();
      },
      onError: (error) => setFailure(placeErrors(form, error, otherFieldLabels)),
    });
  });

  return (
    <form onSubmit={submit} noValidate>
      <FormAlert failure={failure} />
      <Stack gap="lg">
        <FormSection title="Routing" first>
          <Radio.Group
            label="Service"
            description="A PBX user registers to the PBX as a SIP device; a trunk user reaches it through DIDs on a trunk."
            required
            {...form.getInputProps("service")}
            onChange={(value) => {
              form.setFieldValue("service", value === "trunk" ? "trunk" : "pbx");
              form.clearErrors();
            }}
          >
            <Group mt="xs">
              {callingServices.map((s) => (
                <Radio key={s} value={s} label={callingServiceLabels[s]} />
              ))}
            </Group>
          </Radio.Group>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Select
              label="PBX location"
              required
              data={pbxChoices}
              allowDeselect={false}
              nothingFoundMessage="No PBX location yet: add one first"
              {...form.getInputProps("pbxId")}
              onChange={choosePbx}
            />
            <Select
              label="Voice route (SBC region)"
              required
              data={regionChoices}
              allowDeselect={false}
              nothingFoundMessage="The enterprise has no SBC region"
              {...form.getInputProps("regionId")}
            />
          </SimpleGrid>
        </FormSection>
        <FormSection title="Numbers" description="What Teams shows and what the PBX routes.">
          {isPbx ? (
            <TextInput
              label="SIP user"
              description={
                pbx
                  ? `ext@domain, ending in @${pbx.sipDomain} (${pbx.locationName}), for example 201@${pbx.sipDomain}.`
                  : "ext@domain, ending in the PBX location's SIP domain."
              }
              required
              autoComplete="off"
              data-autofocus
              {...form.getInputProps("sipUser")}
            />
          ) : null}
          <Select
            label={isPbx ? "Phone number" : "Phone number (default DID)"}
            description="One of the enterprise's available numbers."
            required
            searchable
            data={numberChoices}
            nothingFoundMessage="No available number: add numbers first"
            {...form.getInputProps("phoneNumber")}
          />
          {isPbx ? null : (
            <MultiSelect
              label="Forwarded DIDs"
              description="Further numbers of the trunk that reach this user."
              searchable
              data={numberChoices.filter((n) => n !== values.phoneNumber)}
              {...form.getInputProps("forwardedDids")}
            />
          )}
        </FormSection>
        <FormSection title="Teams">
          <Switch
            label="Use Teams voicemail"
            description="Off: PBX voicemail and queues work"
            {...form.getInputProps("teamsVoicemail", { type: "checkbox" })}
          />
          <Switch
            label="Assign the default dial plan"
            {...form.getInputProps("assignDialPlan", { type: "checkbox" })}
          />
        </FormSection>
        <FormSection
          title="Calls"
          description="Start from the PBX location's defaults; change them for this user if needed."
        >
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Select
              label="Caller-name policy"
              required
              allowDeselect={false}
              data={[
                { value: "TRANSPARENT", label: "Transparent (the caller's own name)" },
                { value: "OTHER", label: "Other (a name you choose)" },
              ]}
              {...form.getInputProps("callerNamePolicy")}
            />
            <Select
              label="Caller ID on forwarded calls"
              required
              allowDeselect={false}
              data={[
                { value: "USER_CALLER_ID", label: "The user's caller ID" },
                { value: "TRANSPARENT", label: "Transparent (the original caller)" },
              ]}
              {...form.getInputProps("forwardedCallerId")}
            />
          </SimpleGrid>
          {values.callerNamePolicy === "OTHER" ? (
            <TextInput label="Caller name" required {...form.getInputProps("callerName")} />
          ) : null}
          <TextInput
            label="Tag"
            description="Optional, up to 64 characters, to find the user later."
            {...form.getInputProps("tag")}
          />
        </FormSection>
        {isPbx ? (
          <FormSection
            title="Device"
            description="The SIP credentials the PBX issued for this user. The password is stored encrypted and never shown again."
          >
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput
                label="SIP auth ID"
                required
                autoComplete="off"
                {...form.getInputProps("sipAuthId")}
              />
              <PasswordField
                label="SIP password"
                required={!hasStoredPassword}
                autoComplete="new-password"
                description={
                  hasStoredPassword
                    ? "A password is stored. Leave empty to keep it, or type a new one to replace it."
                    : "At least 4 characters."
                }
                {...form.getInputProps("sipPassword")}
              />
            </SimpleGrid>
          </FormSection>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending}>
            {calling ? "Save" : "Configure for calling"}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
