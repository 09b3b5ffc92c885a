import { sql } from "drizzle-orm";
import type {
  GatewayChange,
  GatewayChanges,
  GatewaySnapshot,
} from "../../../shared/contracts/gateway.ts";
import { maxChangesPageEvents } from "../../../shared/contracts/gateway.ts";
import { type EventName, eventNames } from "../../../shared/events.ts";
import type { GatewayNodeActor } from "../../authz/actor.ts";
import type { Db } from "../../db/client.ts";
import { type EventCursor, readEvents } from "../../events/read-events.ts";
import {
  enterprisesRelatedTo,
  regionEnterprises,
  regionPbxes,
  regionUsers,
} from "./feed.queries.ts";

/**
 * The node's region as of one instant, and the cursor to follow the changes from. Read in one
 * REPEATABLE READ transaction: its first statement fixes the snapshot every later one sees, and
 * the cursor is that snapshot's horizon (`pg_snapshot_xmin`): every transaction below it had
 * ended, so its events are reflected in the rows read. Events of transactions at or above it may
 * already be reflected too; the node reads them again as changes, which is harmless, since a
 * change carries the current state (ADR 0014).
 */
export async function readSnapshot(
  db: Db,
  secret: string,
  node: GatewayNodeActor,
): Promise<GatewaySnapshot> {
  return db.transaction(
    async (tx) => {
      const { rows } = (await tx.execute(
        sql`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon`,
      )) as unknown as { rows: { horizon: string }[] };
      const enterprises = await regionEnterprises(tx, node.regionId);
      const pbxes = await regionPbxes(tx, node.regionId);
      const users = await regionUsers(tx, secret, node.regionId);
      return {
        cursor: `${rows[0]!.horizon}.0`,
        regionId: node.regionId,
        nodeId: node.nodeId,
        enterprises,
        pbxes,
        users,
      };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}

/** The events that can change what a node holds: users, PBXs, enterprises and their workflows. */
const feedEvents: readonly EventName[] = eventNames.filter((name) =>
  /^(user|pbx|enterprise|workflow)\./.test(name),
);

/**
 * One page of changes after `after`: each object an event of the page touched, in its current
 * state for the node's region, once. A user brings its PBX along, so a node never holds a user
 * whose PBX it lacks. An object not (or no longer) in the region comes as null, but only when its
 * enterprise is related to the region: another region's objects are never named.
 */
export async function readChanges(
  db: Db,
  secret: string,
  node: GatewayNodeActor,
  after: EventCursor,
  limit = maxChangesPageEvents,
): Promise<GatewayChanges> {
  const { events, cursor } = await readEvents(db, after, { names: feedEvents }, limit);
  const userIds = new Map<string, string | null>();
  const pbxIds = new Map<string, string | null>();
  const enterpriseIds = new Set<string>();
  for (const event of events) {
    const enterpriseId = event.path.enterpriseId;
    if (event.subject.type === "user") userIds.set(event.subject.id, enterpriseId);
    else if (event.subject.type === "pbx") pbxIds.set(event.subject.id, enterpriseId);
    else if (event.subject.type === "enterprise") enterpriseIds.add(event.subject.id);
  }
  const users = await regionUsers(db, secret, node.regionId, [...userIds.keys()]);
  for (const user of users) if (!pbxIds.has(user.pbxId)) pbxIds.set(user.pbxId, user.enterpriseId);
  const [pbxes, enterprises] = await Promise.all([
    regionPbxes(db, node.regionId, [...pbxIds.keys()]),
    regionEnterprises(db, node.regionId, [...enterpriseIds]),
  ]);
  const touched = new Set<string>(enterpriseIds);
  for (const id of [...userIds.values(), ...pbxIds.values()]) if (id) touched.add(id);
  const related = await enterprisesRelatedTo(db, node.regionId, [...touched]);

  const changes: GatewayChange[] = [];
  const enterpriseById = new Map(enterprises.map((e) => [e.enterpriseId, e]));
  for (const enterpriseId of enterpriseIds) {
    const enterprise = enterpriseById.get(enterpriseId) ?? null;
    if (enterprise || related.has(enterpriseId))
      changes.push({ kind: "enterprise", enterpriseId, enterprise });
  }
  const pbxById = new Map(pbxes.map((p) => [p.pbxId, p]));
  for (const [pbxId, enterpriseId] of pbxIds) {
    const pbx = pbxById.get(pbxId) ?? null;
    if (pbx || (enterpriseId && related.has(enterpriseId)))
      changes.push({ kind: "pbx", pbxId, pbx });
  }
  const userById = new Map(users.map((u) => [u.userId, u]));
  for (const [userId, enterpriseId] of userIds) {
    const user = userById.get(userId) ?? null;
    if (user || (enterpriseId && related.has(enterpriseId)))
      changes.push({ kind: "user", userId, user });
  }
  return { cursor, changes, more: events.length === limit };
}

const pollIntervalMs = 250;

/**
 * Changes after `after`, waiting up to `waitSeconds` for one (a long poll, polling the log every
 * 250 ms) and answering early when the client goes away. Pages with nothing for this region move
 * the cursor on and keep waiting.
 */
export async function waitForChanges(
  db: Db,
  secret: string,
  node: GatewayNodeActor,
  after: EventCursor,
  waitSeconds: number,
  gone: () => boolean = () => false,
): Promise<GatewayChanges> {
  const deadline = Date.now() + waitSeconds * 1000;
  let cursor = after;
  for (;;) {
    const page = await readChanges(db, secret, node, cursor);
    cursor = page.cursor;
    const left = deadline - Date.now();
    if (page.changes.length > 0 || page.more || left <= 0 || gone()) return page;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollIntervalMs, left)));
  }
}
