import type { PhoneNumberAbility, PhoneNumberView } from "../../../shared/contracts/numbers.ts";
import type { PhoneNumberRow } from "./numbers.queries.ts";

/** A phone number as the API shows it. */
export function presentNumber(
  row: PhoneNumberRow,
  abilities: PhoneNumberAbility[],
): PhoneNumberView {
  return {
    id: row.id,
    enterpriseId: row.enterpriseId,
    number: row.number,
    capability: row.capability,
    state: row.state,
    assignedUserId: row.assignedUserId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    abilities,
  };
}
