import { MultiSelect, SimpleGrid } from "@mantine/core";
import type { ReactNode } from "react";
import type { PbxTypeView, RegionView } from "../../../shared/contracts/catalog.ts";
import { renderNamedPill } from "../../components/NamedPill.tsx";

/** Select options: the usable entries plus any already chosen, so an edit never drops a value silently. */
export function regionOptions(regions: RegionView[], chosen: string[] = []) {
  return regions
    .filter((r) => r.status === "active" || chosen.includes(r.id))
    .map((r) => ({
      value: r.id,
      label: r.status === "active" ? r.name : `${r.name} (disabled)`,
    }));
}

export function pbxTypeOptions(pbxTypes: PbxTypeView[], chosen: string[] = []) {
  return pbxTypes
    .filter((t) => !t.isDisabled || chosen.includes(t.id))
    .map((t) => ({ value: t.id, label: t.isDisabled ? `${t.label} (disabled)` : t.label }));
}

/** What `form.getInputProps()` gives a multi-select. */
interface FieldProps {
  value?: string[];
  onChange?(value: string[]): void;
  error?: ReactNode;
}

interface EntitlementFieldsProps {
  regions: RegionView[];
  pbxTypes: PbxTypeView[];
  regionField: FieldProps;
  pbxTypeField: FieldProps;
  /** Who receives the entitlements, for the help text ("the reseller"). */
  holder: string;
}

/** The SBC regions and PBX types an organization may offer (its entitlements). */
export function EntitlementFields({
  regions,
  pbxTypes,
  regionField,
  pbxTypeField,
  holder,
}: EntitlementFieldsProps) {
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
      <MultiSelect
        label="SBC regions"
        description={`SBC regions ${holder} may offer.`}
        data={regionOptions(regions, regionField.value ?? [])}
        searchable
        clearable
        renderPill={renderNamedPill}
        nothingFoundMessage="No such region"
        {...regionField}
      />
      <MultiSelect
        label="PBX types"
        description={`PBX types ${holder} may offer.`}
        data={pbxTypeOptions(pbxTypes, pbxTypeField.value ?? [])}
        searchable
        clearable
        renderPill={renderNamedPill}
        nothingFoundMessage="No such PBX type"
        {...pbxTypeField}
      />
    </SimpleGrid>
  );
}
