import { Alert, Button, FileInput, Group, Modal, Stack, Table, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import { maxImportBytes, maxImportRows } from "../../../shared/contracts/numbers.ts";
import { type ApiError, isApiError } from "../../api/client.ts";
import { useImportNumbers } from "./numbers.api.ts";

interface ImportNumbersModalProps {
  opened: boolean;
  enterpriseId: string;
  onClose(): void;
}

/** "Import CSV": a file with the header `number`; a refused file shows its per-row report. */
export function ImportNumbersModal({ opened, enterpriseId, onClose }: ImportNumbersModalProps) {
  return (
    <Modal opened={opened} onClose={onClose} title="Import numbers from CSV" size="lg" centered>
      {opened ? <ImportForm enterpriseId={enterpriseId} onDone={onClose} /> : null}
    </Modal>
  );
}

function ImportForm({ enterpriseId, onDone }: { enterpriseId: string; onDone(): void }) {
  const importNumbers = useImportNumbers(enterpriseId);
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<ApiError | null>(null);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setRefusal(null);
    if (!file) return setFileError("Choose a CSV file");
    if (file.size > maxImportBytes)
      return setFileError(`The file is larger than ${Math.round(maxImportBytes / 1024)} KB`);
    setFileError(null);
    const text = await file.text();
    importNumbers.mutate(text, {
      onSuccess: (added) => {
        notifications.show({
          color: "teal",
          message: `${added.count.toLocaleString("en")} numbers imported`,
        });
        onDone();
      },
      onError: (error) => {
        if (isApiError(error) && error.fields.file && error.rows.length === 0)
          setFileError(error.fields.file);
        else if (isApiError(error)) setRefusal(error);
        else setFileError("The file could not be imported. Try again.");
      },
    });
  };

  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <Stack>
        <Text size="sm">
          A CSV file whose first line is the header <code>number</code>, then one number a row in
          E.164 (+ and 8 to 15 digits), at most {maxImportRows.toLocaleString("en")} rows. Nothing
          is imported unless every row can be.
        </Text>
        <FileInput
          label="CSV file"
          placeholder="Choose a file"
          accept=".csv,text/csv"
          value={file}
          onChange={(f) => {
            setFile(f);
            setFileError(null);
            setRefusal(null);
          }}
          error={fileError}
          clearable
          clearButtonProps={{ "aria-label": "Clear the file" }}
        />
        {refusal ? (
          <Alert color="red" title="Nothing was imported">
            <Text size="sm" mb="xs">
              {refusal.message}
            </Text>
            {refusal.rows.length > 0 ? (
              <Table.ScrollContainer minWidth={360} mah={280}>
                <Table striped withTableBorder>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Row</Table.Th>
                      <Table.Th>Number</Table.Th>
                      <Table.Th>Problem</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {refusal.rows.slice(0, 200).map((r) => (
                      <Table.Tr key={r.row}>
                        <Table.Td>{r.row}</Table.Td>
                        <Table.Td style={{ overflowWrap: "anywhere" }}>
                          {("number" in r && r.number) || "(empty)"}
                        </Table.Td>
                        <Table.Td>{r.message}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            ) : null}
            {refusal.rows.length > 200 ? (
              <Text size="xs" mt="xs">
                The first 200 of {refusal.rows.length.toLocaleString("en")} rows are shown.
              </Text>
            ) : null}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={importNumbers.isPending}>
            Import
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
