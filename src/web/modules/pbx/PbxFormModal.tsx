import {
  Button,
  Checkbox,
  Group,
  Modal,
  MultiSelect,
  Select,
  SimpleGrid,
  Stack,
  TextInput,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import {
  type Codec,
  CreatePbxBody,
  codecs,
  type DnsLookup,
  type DtmfMode,
  dnsLookups,
  dtmfModeLabels,
  dtmfModes,
  numberOfText,
  type PbxTypeChoice,
  type PbxView,
  registrationExpiryBounds,
  type Transport,
  transportLabels,
  transports,
  UpdatePbxBody,
} from "../../../shared/contracts/pbx.ts";
import { type FormFailure, placeErrors, validateForm } from "../../api/forms.ts";
import { FormAlert } from "../../components/FormAlert.tsx";
import { FormSection } from "../../components/FormSection.tsx";
import { PasswordField } from "../../components/PasswordField.tsx";
import { useSavePbx } from "./pbx.api.ts";

interface PbxFormModalProps {
  opened: boolean;
  enterpriseId: string;
  /** The location to edit; null adds one. */
  pbx: PbxView | null;
  /** The types a location may have (the enterprise's assigned, enabled types). */
  pbxTypes: PbxTypeChoice[];
  onClose(): void;
}

/** Add or edit a PBX location (SPEC §2.5). */
export function PbxFormModal({ opened, enterpriseId, pbx, pbxTypes, onClose }: PbxFormModalProps) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={pbx ? `Edit ${pbx.locationName}` : "Add PBX location"}
      size="lg"
      centered
    >
      {opened ? (
        <PbxForm
          key={pbx?.id ?? "new"}
          enterpriseId={enterpriseId}
          pbx={pbx}
          pbxTypes={pbxTypes}
          onDone={onClose}
        />
      ) : null}
    </Modal>
  );
}

const dnsLookupLabels: Record<DnsLookup, string> = {
  A: "A record (the domain or proxy itself)",
  SRV: "SRV records",
  NAPTR: "NAPTR records",
};

interface FormValues {
  pbxTypeId: string;
  locationName: string;
  dnsLookup: DnsLookup;
  sipDomain: string;
  sipProxy: string;
  transport: Transport;
  registrationExpiry: string;
  codecs: Codec[];
  dtmfMode: DtmfMode;
  voicemailFeatureCode: string;
  callerNamePolicy: "TRANSPARENT" | "OTHER";
  callerName: string;
  forwardedCallerId: "USER_CALLER_ID" | "TRANSPARENT";
  apiTokenUrl: string;
  apiClientId: string;
  apiClientSecret: string;
  removeApiClientSecret: boolean;
  apiMasqueradingLogin: string;
}

function PbxForm({
  enterpriseId,
  pbx,
  pbxTypes,
  onDone,
}: {
  enterpriseId: string;
  pbx: PbxView | null;
  pbxTypes: PbxTypeChoice[];
  onDone(): void;
}) {
  const save = useSavePbx(enterpriseId);
  const [failure, setFailure] = useState<FormFailure | null>(null);
  const firstType = pbxTypes.find((t) => t.isDefault) ?? pbxTypes[0];
  // An edited location keeps its type even if it is no longer offered for new locations.
  const typeChoices =
    pbx && !pbxTypes.some((t) => t.id === pbx.pbxTypeId)
      ? [{ value: pbx.pbxTypeId, label: pbx.pbxTypeName }, ...pbxTypes.map(choiceOf)]
      : pbxTypes.map(choiceOf);
  const form = useForm<FormValues>({
    initialValues: {
      pbxTypeId: pbx?.pbxTypeId ?? firstType?.id ?? "",
      locationName: pbx?.locationName ?? "",
      dnsLookup: pbx?.dnsLookup ?? firstType?.defaultDnsLookup ?? "A",
      sipDomain: pbx?.sipDomain ?? "",
      sipProxy: pbx?.sipProxy ?? "",
      transport: pbx?.transport ?? firstType?.defaultTransport ?? "udp",
      registrationExpiry: String(pbx?.registrationExpiry ?? registrationExpiryBounds.default),
      codecs: pbx?.codecs ?? ["PCMU", "PCMA"],
      dtmfMode: pbx?.dtmfMode ?? "rfc2833",
      voicemailFeatureCode: pbx
        ? (pbx.voicemailFeatureCode ?? "")
        : (firstType?.defaultVoicemailFeatureCode ?? ""),
      callerNamePolicy: pbx?.callerNamePolicy ?? "TRANSPARENT",
      callerName: pbx?.callerName ?? "",
      forwardedCallerId: pbx?.forwardedCallerId ?? "USER_CALLER_ID",
      apiTokenUrl: pbx?.apiTokenUrl ?? "",
      apiClientId: pbx?.apiClientId ?? "",
      apiClientSecret: "",
      removeApiClientSecret: false,
      apiMasqueradingLogin: pbx?.apiMasqueradingLogin ?? "",
    },
  });
  const values = form.getValues();
  const type =
    pbxTypes.find((t) => t.id === values.pbxTypeId) ??
    (pbx && pbx.pbxTypeId === values.pbxTypeId ? { hasApi: pbx.pbxTypeHasApi } : null);
  const hasApi = type?.hasApi ?? false;

  /** A new location starts from the chosen type's defaults. */
  const chooseType = (id: string | null) => {
    form.setFieldValue("pbxTypeId", id ?? "");
    const chosen = pbxTypes.find((t) => t.id === id);
    if (!pbx && chosen) {
      form.setFieldValue("dnsLookup", chosen.defaultDnsLookup);
      form.setFieldValue("transport", chosen.defaultTransport);
      form.setFieldValue("voicemailFeatureCode", chosen.defaultVoicemailFeatureCode ?? "");
    }
  };

  const submit = form.onSubmit((v) => {
    setFailure(null);
    // What the person typed goes as typed: the contract (here and on the server) says what is wrong.
    const secret = v.removeApiClientSecret
      ? null
      : v.apiClientSecret === ""
        ? undefined
        : v.apiClientSecret;
    const body = {
      pbxTypeId: v.pbxTypeId,
      locationName: v.locationName,
      dnsLookup: v.dnsLookup,
      sipDomain: v.sipDomain,
      sipProxy: v.sipProxy,
      transport: v.transport,
      registrationExpiry: numberOfText(v.registrationExpiry),
      codecs: v.codecs,
      dtmfMode: v.dtmfMode,
      voicemailFeatureCode: v.voicemailFeatureCode,
      callerNamePolicy: v.callerNamePolicy,
      callerName: v.callerNamePolicy === "OTHER" ? v.callerName : null,
      forwardedCallerId: v.forwardedCallerId,
      apiTokenUrl: hasApi ? v.apiTokenUrl : null,
      apiClientId: hasApi ? v.apiClientId : null,
      ...(hasApi
        ? secret === undefined
          ? {}
          : { apiClientSecret: secret }
        : pbx?.hasApiClientSecret
          ? { apiClientSecret: null }
          : {}),
      apiMasqueradingLogin: hasApi ? v.apiMasqueradingLogin : null,
    };
    const parsed = pbx
      ? validateForm(form, UpdatePbxBody, body)
      : validateForm(form, CreatePbxBody, body);
    if (!parsed) return;
    save.mutate(pbx ? { id: pbx.id, body: parsed } : { body: parsed as CreatePbxBody }, {
      onSuccess: (saved) => {
        notifications.show({
          color: "teal",
          message: pbx ? `${saved.locationName} saved` : `${saved.locationName} added`,
        });
        onDone();
      },
      onError: (error) => setFailure(placeErrors(form, error)),
    });
  });

  return (
    <form onSubmit={submit} noValidate>
      <FormAlert failure={failure} />
      <Stack gap="lg">
        <FormSection title="Basics" first>
          <Select
            label="PBX type"
            required
            data={typeChoices}
            allowDeselect={false}
            {...form.getInputProps("pbxTypeId")}
            onChange={chooseType}
          />
          <TextInput
            label="Location name"
            description="Unique in this enterprise, for example Head office."
            required
            data-autofocus
            {...form.getInputProps("locationName")}
          />
        </FormSection>
        <FormSection
          title="SIP"
          description="Where and how the gateway registers users to the PBX."
        >
          <TextInput
            label="SIP domain"
            description="The PBX domain users register in, without sip: or a port, for example pbx.example.com."
            required
            {...form.getInputProps("sipDomain")}
          />
          <TextInput
            label="SIP proxy"
            description="Optional host[:port] to send requests to instead of the domain; an IPv6 address in brackets. With SRV or NAPTR, no port."
            {...form.getInputProps("sipProxy")}
          />
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Select
              label="DNS lookup"
              required
              allowDeselect={false}
              data={dnsLookups.map((value) => ({ value, label: dnsLookupLabels[value] }))}
              {...form.getInputProps("dnsLookup")}
            />
            <Select
              label="Transport"
              required
              allowDeselect={false}
              data={transports.map((value) => ({ value, label: transportLabels[value] }))}
              {...form.getInputProps("transport")}
            />
            <TextInput
              label="Registration expiry (seconds)"
              description={`${registrationExpiryBounds.min} to ${registrationExpiryBounds.max}`}
              inputMode="numeric"
              required
              {...form.getInputProps("registrationExpiry")}
            />
            <Select
              label="DTMF mode"
              required
              allowDeselect={false}
              data={dtmfModes.map((value) => ({ value, label: dtmfModeLabels[value] }))}
              {...form.getInputProps("dtmfMode")}
            />
          </SimpleGrid>
          <MultiSelect
            label="Allowed codecs"
            description="Offered to the PBX in the order you pick them."
            required
            data={[...codecs]}
            {...form.getInputProps("codecs")}
          />
        </FormSection>
        <FormSection
          title="Calls"
          description="Defaults for the users of this location; each user may override them."
        >
          <TextInput
            label="Voicemail feature code"
            description="What the PBX dials for voicemail, such as *97. Optional."
            {...form.getInputProps("voicemailFeatureCode")}
          />
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Select
              label="Caller name"
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
            <TextInput label="Custom caller name" required {...form.getInputProps("callerName")} />
          ) : null}
        </FormSection>
        {hasApi ? (
          <FormSection
            title="Advanced API settings"
            description="Credentials of the PBX's API, for PBX types that have one. The client secret is stored encrypted and never shown again."
          >
            <TextInput
              label="Token URL"
              placeholder="https://pbx.example.com/oauth/token"
              {...form.getInputProps("apiTokenUrl")}
            />
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput label="Client ID" {...form.getInputProps("apiClientId")} />
              <PasswordField
                label="Client secret"
                autoComplete="new-password"
                description={
                  pbx?.hasApiClientSecret
                    ? "A secret is stored. Leave blank to keep it, or type a new one to replace it."
                    : "Optional."
                }
                disabled={values.removeApiClientSecret}
                {...form.getInputProps("apiClientSecret")}
              />
            </SimpleGrid>
            {pbx?.hasApiClientSecret ? (
              <Checkbox
                label="Remove the stored client secret"
                {...form.getInputProps("removeApiClientSecret", { type: "checkbox" })}
              />
            ) : null}
            <TextInput label="Masquerading login" {...form.getInputProps("apiMasqueradingLogin")} />
          </FormSection>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending}>
            {pbx ? "Save" : "Add PBX location"}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function choiceOf(t: PbxTypeChoice) {
  return { value: t.id, label: t.label };
}
