import { newId } from "../../../shared/ids.ts";
import type { Db } from "../../db/client.ts";
import { enterprisePbxTypes, pbxes } from "../../db/schema/index.ts";
import { buildPbxType } from "../../db/seed/factories.ts";
import { seal } from "../../lib/secrets.ts";

let sequence = 0;

/**
 * A PBX location of an enterprise, written directly (no event), for tests and the demo seed. A
 * `clientSecret` is sealed with `secret` as the command would.
 */
export async function buildPbx(
  db: Db,
  input: Partial<typeof pbxes.$inferInsert> & {
    enterpriseId: string;
    pbxTypeId: string;
    clientSecret?: { secret: string; value: string };
  },
) {
  const n = `${Date.now().toString(36)}${(sequence++).toString(36)}`;
  const { clientSecret, ...values } = input;
  const [row] = await db
    .insert(pbxes)
    .values({
      id: newId("pbx"),
      locationName: `Location ${n}`,
      dnsLookup: "A",
      sipDomain: `pbx-${n}.example.com`,
      transport: "udp",
      codecs: ["PCMU", "PCMA"],
      dtmfMode: "rfc2833",
      ...values,
      ...(clientSecret ? { apiClientSecret: seal(clientSecret.secret, clientSecret.value) } : {}),
    })
    .returning();
  return row!;
}

/** A PBX type assigned to the enterprise (with an API unless told otherwise). */
export async function buildAssignedPbxType(
  db: Db,
  enterpriseId: string,
  overrides: Parameters<typeof buildPbxType>[1] = {},
) {
  const type = await buildPbxType(db, { hasApi: true, ...overrides });
  await db.insert(enterprisePbxTypes).values({ enterpriseId, pbxTypeId: type.id });
  return type;
}
