import {
  Alert,
  Anchor,
  Button,
  Checkbox,
  FileInput,
  Group,
  Modal,
  Progress,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
} from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { CallingService } from "../../../shared/contracts/calling.ts";
import {
  maxUsersCsvBytes,
  maxUsersCsvRows,
  type UsersImportView,
  usersCsvColumns,
} from "../../../shared/contracts/users-csv.ts";
import type { ImportProblem } from "../../../shared/errors.ts";
import { isApiError } from "../../api/client.ts";
import { IconAlertCircle } from "../../components/icons.tsx";
import { enterpriseQueryKey } from "../enterprise-portal/enterprise-portal.api.ts";
import {
  availableNumbersQuery,
  pbxChoicesQuery,
  useEnterpriseRegions,
  usersCsvTemplateUrl,
  usersExportUrl,
  usersImportQuery,
  useStartUsersImport,
} from "./calling.api.ts";

/** The service choices of a bulk upload and an export, in the words of the page. */
export const usersCsvServiceLabels: Record<CallingService, string> = {
  pbx: "PBX users",
  trunk: "Trunk users",
};

interface UploadUsersModalProps {
  opened: boolean;
  enterpriseId: string;
  onClose(): void;
}

/**
 * "Upload users (CSV)" (SPEC §2.6): the file is validated whole first; a refused file shows its
 * per-row report and nothing is applied, an accepted one shows its progress until it is done.
 */
export function UploadUsersModal({ opened, enterpriseId, onClose }: UploadUsersModalProps) {
  return (
    <Modal opened={opened} onClose={onClose} title="Upload users (CSV)" size="xl" centered>
      {opened ? <UploadForm enterpriseId={enterpriseId} onDone={onClose} /> : null}
    </Modal>
  );
}

/** A refused file: the server's message and its problems, by row and column. */
interface Refusal {
  message: string;
  rows: ImportProblem[];
}

const shownProblems = 200;

function UploadForm({ enterpriseId, onDone }: { enterpriseId: string; onDone(): void }) {
  const pbxes = useQuery(pbxChoicesQuery(enterpriseId));
  const { regions } = useEnterpriseRegions(enterpriseId);
  const start = useStartUsersImport(enterpriseId);
  const [service, setService] = useState<CallingService>("pbx");
  const [pbxId, setPbxId] = useState<string | null>(null);
  const [regionId, setRegionId] = useState<string | null>(null);
  const [updateExisting, setUpdateExisting] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [errors, setErrors] = useState<Partial<Record<"pbxId" | "regionId" | "file", string>>>({});
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [importId, setImportId] = useState<string | null>(null);

  // The only choice is chosen: most enterprises have one PBX location and one region.
  const pbxChoices = (pbxes.data?.items ?? []).map((p) => ({ value: p.id, label: p.locationName }));
  const onlyPbx = pbxChoices.length === 1 ? pbxChoices[0]?.value : undefined;
  const onlyRegion = regions.length === 1 ? regions[0]?.value : undefined;
  const chosenPbx = pbxId ?? onlyPbx ?? null;
  const chosenRegion = regionId ?? onlyRegion ?? null;

  if (importId)
    return <ImportProgress enterpriseId={enterpriseId} importId={importId} onDone={onDone} />;

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setRefusal(null);
    const problems: typeof errors = {};
    if (!chosenPbx) problems.pbxId = "Choose a PBX location";
    if (!chosenRegion) problems.regionId = "Choose a voice route";
    if (!file) problems.file = "Choose a CSV file";
    else if (file.size > maxUsersCsvBytes)
      problems.file = `The file is larger than ${Math.round(maxUsersCsvBytes / 1024 / 1024)} MB`;
    setErrors(problems);
    if (!file || !chosenPbx || !chosenRegion || Object.keys(problems).length > 0) return;
    const csv = await file.text();
    start.mutate(
      { csv, options: { service, pbxId: chosenPbx, regionId: chosenRegion, updateExisting } },
      {
        onSuccess: (started) => setImportId(started.id),
        onError: (error) => {
          if (isApiError(error) && error.rows.length > 0)
            setRefusal({ message: error.message, rows: error.rows });
          else if (isApiError(error) && (error.fields.pbxId || error.fields.regionId))
            setErrors({ pbxId: error.fields.pbxId, regionId: error.fields.regionId });
          else
            setRefusal({
              message: isApiError(error) ? error.message : "The file could not be uploaded.",
              rows: [],
            });
        },
      },
    );
  };

  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <Stack>
        <Text size="sm">
          One user a row, at most {maxUsersCsvRows.toLocaleString("en")} rows. The columns are{" "}
          {usersCsvColumns.join(", ")}. <em>Teams user</em> is the user's sign-in name and{" "}
          <em>Phone number</em> one of the enterprise's available numbers (E.164); PBX users fill
          the SIP columns, trunk users may list forwarded DIDs separated by spaces. Nothing is
          applied unless every row can be.
        </Text>
        <Group gap="lg">
          <Anchor href={usersCsvTemplateUrl} download="users-template.csv" size="sm">
            Download a template
          </Anchor>
          <Anchor
            href={usersExportUrl(enterpriseId, service)}
            download={`${service}-users.csv`}
            size="sm"
          >
            Export current users
          </Anchor>
        </Group>
        <Radio.Group
          label="Service"
          required
          value={service}
          onChange={(value) => setService(value === "trunk" ? "trunk" : "pbx")}
        >
          <Group mt="xs">
            {(["pbx", "trunk"] as const).map((s) => (
              <Radio key={s} value={s} label={usersCsvServiceLabels[s]} />
            ))}
          </Group>
        </Radio.Group>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <Select
            label="PBX location"
            required
            data={pbxChoices}
            value={chosenPbx}
            onChange={(value) => {
              setPbxId(value);
              setErrors((e) => ({ ...e, pbxId: undefined }));
            }}
            allowDeselect={false}
            nothingFoundMessage="No PBX location yet: add one first"
            error={errors.pbxId}
          />
          <Select
            label="Voice route (SBC region)"
            required
            data={regions}
            value={chosenRegion}
            onChange={(value) => {
              setRegionId(value);
              setErrors((e) => ({ ...e, regionId: undefined }));
            }}
            allowDeselect={false}
            nothingFoundMessage="No SBC region: set up Direct Routing first"
            error={errors.regionId}
          />
        </SimpleGrid>
        <Checkbox
          label="Update existing users"
          description="Rows for users already configured replace their configuration; otherwise they are refused."
          checked={updateExisting}
          onChange={(event) => setUpdateExisting(event.currentTarget.checked)}
        />
        <FileInput
          label="CSV file"
          placeholder="Choose a file"
          accept=".csv,text/csv"
          required
          value={file}
          onChange={(f) => {
            setFile(f);
            setErrors((e) => ({ ...e, file: undefined }));
            setRefusal(null);
          }}
          error={errors.file}
          clearable
          clearButtonProps={{ "aria-label": "Clear the file" }}
        />
        {refusal ? <RefusalReport refusal={refusal} /> : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={start.isPending}>
            Upload
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The per-row report of a refused file, as the numbers import shows its own. */
function RefusalReport({ refusal }: { refusal: Refusal }) {
  return (
    <Alert color="red" title="Nothing was applied" icon={<IconAlertCircle />}>
      <Text size="sm" mb="xs">
        {refusal.message}
      </Text>
      {refusal.rows.length > 0 ? (
        <Table.ScrollContainer minWidth={420} mah={280}>
          <Table striped withTableBorder aria-label="Problems of the file">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Row</Table.Th>
                <Table.Th>Column</Table.Th>
                <Table.Th>Problem</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {refusal.rows.slice(0, shownProblems).map((r) => (
                <Table.Tr key={`${r.row} ${"column" in r ? r.column : ""} ${r.message}`}>
                  <Table.Td>{r.row}</Table.Td>
                  <Table.Td>{("column" in r && r.column) || "—"}</Table.Td>
                  <Table.Td>{r.message}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
      {refusal.rows.length > shownProblems ? (
        <Text size="xs" mt="xs">
          The first {shownProblems} of {refusal.rows.length.toLocaleString("en")} problems are
          shown.
        </Text>
      ) : null}
    </Alert>
  );
}

/** An accepted file being applied: its progress, then what it created and updated, or why it failed. */
function ImportProgress({
  enterpriseId,
  importId,
  onDone,
}: {
  enterpriseId: string;
  importId: string;
  onDone(): void;
}) {
  const queryClient = useQueryClient();
  const progress = useQuery(usersImportQuery(enterpriseId, importId));
  const view: UsersImportView | undefined = progress.data;
  const finished = view !== undefined && view.status !== "running";

  // Once applied, the users list and the numbers they took show it.
  useEffect(() => {
    if (!finished) return;
    void queryClient.invalidateQueries({ queryKey: enterpriseQueryKey(enterpriseId) });
    void queryClient.invalidateQueries({ queryKey: availableNumbersQuery(enterpriseId).queryKey });
    void queryClient.invalidateQueries({ queryKey: ["phone-numbers", enterpriseId] });
  }, [finished, enterpriseId, queryClient]);

  const total = view?.total ?? 0;
  const applied = view?.applied ?? 0;
  const percent = total > 0 ? Math.round((applied / total) * 100) : 0;
  return (
    <Stack>
      <Text size="sm" fw={500} aria-live="polite">
        {view?.status === "succeeded"
          ? "Upload done"
          : view?.status === "failed"
            ? "The upload failed"
            : "Applying the users…"}
      </Text>
      <Progress
        value={view?.status === "succeeded" ? 100 : percent}
        color={view?.status === "failed" ? "red" : view?.status === "succeeded" ? "teal" : "blue"}
        animated={view?.status === "running"}
        size="lg"
        aria-label="Users applied"
      />
      <Text size="sm" role="status">
        {applied.toLocaleString("en")} of {total.toLocaleString("en")} users applied
      </Text>
      {view?.status === "succeeded" ? (
        <Alert color="teal" title="Users configured">
          {view.created.toLocaleString("en")} users created, {view.updated.toLocaleString("en")}{" "}
          updated
        </Alert>
      ) : null}
      {view?.status === "failed" ? (
        <Alert color="red" title="The upload stopped" icon={<IconAlertCircle />}>
          {view.error ?? "The users could not all be applied."} The users applied before it stopped
          keep their configuration.
        </Alert>
      ) : null}
      {progress.isError ? (
        <Alert color="red" title="Could not read the progress" icon={<IconAlertCircle />}>
          {isApiError(progress.error) ? progress.error.message : "Try again in a moment."}
        </Alert>
      ) : null}
      <Group justify="flex-end">
        <Button variant={finished ? "filled" : "default"} onClick={onDone}>
          {finished ? "Done" : "Continue in the background"}
        </Button>
      </Group>
    </Stack>
  );
}
