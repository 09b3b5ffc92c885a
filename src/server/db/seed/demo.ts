import type { Db } from "../client.ts";

/** Demo data for `teamgate seed --demo`; built from the same factories as the tests. */
export async function seedDemo(_db: Db): Promise<string> {
  return "Demo seed: nothing to add yet.";
}
