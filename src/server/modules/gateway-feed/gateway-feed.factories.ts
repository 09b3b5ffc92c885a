import { newId, newIds } from "../../../shared/ids.ts";
import type { Db } from "../../db/client.ts";
import { callingUsers, devices, directRoutes, gatewayNodes, users } from "../../db/schema/index.ts";
import { hashToken, randomToken, seal } from "../../lib/secrets.ts";

let sequence = 0;

/** Inserts in chunks, under PostgreSQL's 65,535 parameters a statement. */
async function inChunks<T, R>(rows: T[], insert: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < rows.length; i += 2000) out.push(...(await insert(rows.slice(i, i + 2000))));
  return out;
}
const next = () => `${Date.now().toString(36)}${(sequence++).toString(36)}`;

/** A gateway node of a region, written directly (no event), and its token. */
export async function buildGatewayNode(
  db: Db,
  regionId: string,
  overrides: Partial<typeof gatewayNodes.$inferInsert> = {},
) {
  const id = newId("gatewayNode");
  const token = `gw.${id}.${randomToken()}`;
  const [row] = await db
    .insert(gatewayNodes)
    .values({ id, regionId, name: `node-${next()}`, tokenHash: hashToken(token), ...overrides })
    .returning();
  return { node: row!, token };
}

/** A derived trunk of an enterprise in a region (what Direct Routing writes), active by default. */
export async function buildDirectRoute(
  db: Db,
  input: Partial<typeof directRoutes.$inferInsert> & { enterpriseId: string; regionId: string },
) {
  const [row] = await db
    .insert(directRoutes)
    .values({
      id: newId("directRoute"),
      fqdn: `t${next()}.sbc.example.net`,
      priority: 0,
      domainState: "activated",
      status: "active",
      ...input,
    })
    .returning();
  return row!;
}

export interface ConfiguredUserInput {
  enterpriseId: string;
  regionId: string;
  pbxId: string;
  service?: "pbx" | "trunk";
  /** The device's SIP password in clear (sealed with `secret` as the configure command does). */
  password?: string;
  calling?: Partial<typeof callingUsers.$inferInsert>;
}

/**
 * `count` synced users configured for calling, with a device each (PBX users), written directly
 * in three set-based inserts (no events): the configure API is built elsewhere.
 */
export async function buildConfiguredUsers(
  db: Db,
  secret: string,
  input: ConfiguredUserInput & { count: number },
) {
  const { count, enterpriseId, regionId, pbxId, service = "pbx", password = "sip-secret" } = input;
  const ids = newIds("user", count);
  const tag = next();
  const userRows = await inChunks(
    ids.map((id, i) => ({
      id,
      enterpriseId,
      msObjectId: `obj-${tag}-${i}`,
      displayName: `User ${tag} ${i}`,
      userPrincipalName: `user-${tag}-${i}@tenant.example.com`,
    })),
    (chunk) => db.insert(users).values(chunk).returning(),
  );
  const callingRows = await inChunks(
    ids.map((userId, i) => ({
      userId,
      enterpriseId,
      service,
      pbxId,
      regionId,
      sipUser: service === "pbx" ? `${tag}${i}@pbx.example.com` : null,
      phoneNumber: `+19${String(sequence++).padStart(9, "0")}`,
      ...input.calling,
    })),
    (chunk) => db.insert(callingUsers).values(chunk).returning(),
  );
  const sealed = seal(secret, password);
  const deviceRows =
    service === "pbx"
      ? await inChunks(
          ids.map((userId, i) => ({
            id: newId("device"),
            userId,
            enterpriseId,
            sipAuthId: `${tag}${i}`,
            sipPassword: sealed,
          })),
          (chunk) => db.insert(devices).values(chunk).returning(),
        )
      : [];
  const deviceOf = new Map(deviceRows.map((d) => [d.userId, d]));
  return ids.map((id, i) => ({
    user: userRows[i]!,
    calling: callingRows[i]!,
    device: deviceOf.get(id) ?? null,
  }));
}

/** One configured user (see `buildConfiguredUsers`). */
export async function buildConfiguredUser(db: Db, secret: string, input: ConfiguredUserInput) {
  const [one] = await buildConfiguredUsers(db, secret, { ...input, count: 1 });
  return one!;
}
