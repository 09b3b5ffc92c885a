import { and, asc, eq, isNull } from "drizzle-orm";
import type {
  CreatedGatewayNode,
  CreateGatewayNodeBody,
  GatewayNodeView,
} from "../../../shared/contracts/gateway.ts";
import { newId } from "../../../shared/ids.ts";
import type { GatewayNodeActor } from "../../authz/actor.ts";
import type { Ctx } from "../../context.ts";
import type { Db } from "../../db/client.ts";
import { devices, gatewayNodes, regions } from "../../db/schema/index.ts";
import { AppError, fieldError, notFound } from "../../lib/errors.ts";
import { hashToken, randomToken } from "../../lib/secrets.ts";
import { isUniqueViolation } from "../../lib/sql.ts";

type NodeRow = typeof gatewayNodes.$inferSelect;

/** A node's token: `gw.<node id>.<secret>` (256 bits); only its SHA-256 is stored. */
const tokenPattern = /^gw\.(gwn_[0-9a-z]{20})\.[A-Za-z0-9_-]{43}$/;

/** How often a node's `last_seen_at` is written at most. */
const touchIntervalMs = 10_000;

export function presentGatewayNode(row: NodeRow): GatewayNodeView {
  return {
    id: row.id,
    regionId: row.regionId,
    name: row.name,
    createdAt: row.createdAt.toISOString(),
    lastSeenAt: row.lastSeenAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

async function requireRegion(db: Db, regionId: string) {
  const [region] = await db.select().from(regions).where(eq(regions.id, regionId));
  if (!region) throw notFound("SBC region");
  return region;
}

/** The region's nodes, revoked ones included, by name. */
export async function listGatewayNodes(db: Db, regionId: string): Promise<NodeRow[]> {
  await requireRegion(db, regionId);
  return db
    .select()
    .from(gatewayNodes)
    .where(eq(gatewayNodes.regionId, regionId))
    .orderBy(asc(gatewayNodes.name), asc(gatewayNodes.id));
}

/** Adds a node to a region and returns its token, which is never shown again. */
export async function createGatewayNode(
  ctx: Ctx,
  regionId: string,
  input: CreateGatewayNodeBody,
): Promise<CreatedGatewayNode> {
  await requireRegion(ctx.tx, regionId);
  const id = newId("gatewayNode");
  const token = `gw.${id}.${randomToken()}`;
  const [row] = await ctx.tx
    .insert(gatewayNodes)
    .values({ id, regionId, name: input.name, tokenHash: hashToken(token), createdAt: ctx.now })
    .returning()
    .catch((e: unknown) => {
      if (isUniqueViolation(e, "gateway_nodes_region_name_key"))
        throw fieldError({ name: "A gateway node of this region has this name" }, "name_in_use");
      throw e;
    });
  await ctx.emit("gateway_node.created", {
    subject: { type: "gateway_node", id, label: row!.name },
    path: {},
    payload: { after: { regionId, name: row!.name } },
  });
  return { ...presentGatewayNode(row!), token };
}

/**
 * Revokes a node's token and frees the devices it leased (idempotent: revoking a revoked node
 * changes nothing).
 */
export async function revokeGatewayNode(
  ctx: Ctx,
  regionId: string,
  nodeId: string,
): Promise<NodeRow> {
  await requireRegion(ctx.tx, regionId);
  const [row] = await ctx.tx
    .select()
    .from(gatewayNodes)
    .where(and(eq(gatewayNodes.id, nodeId), eq(gatewayNodes.regionId, regionId)))
    .for("update");
  if (!row) throw notFound("Gateway node");
  if (row.revokedAt) return row;
  const [revoked] = await ctx.tx
    .update(gatewayNodes)
    .set({ revokedAt: ctx.now })
    .where(eq(gatewayNodes.id, nodeId))
    .returning();
  // Its devices are free at once for the region's other nodes (not only when the leases expire).
  await ctx.tx
    .update(devices)
    .set({ leaseNodeId: null, leaseExpiresAt: null })
    .where(eq(devices.leaseNodeId, nodeId));
  await ctx.emit("gateway_node.revoked", {
    subject: { type: "gateway_node", id: nodeId, label: row.name },
    path: {},
    payload: { after: { regionId, name: row.name } },
  });
  return revoked!;
}

const unauthenticated = () =>
  new AppError("unauthenticated", "A valid gateway node token is required");

/**
 * The node an `Authorization: Bearer <token>` header belongs to, or 401 (`unauthenticated`) for
 * a missing, malformed, unknown or revoked token. Notes the node as seen, at most every 10 s.
 */
export async function authenticateGatewayNode(
  db: Db,
  authorization: string | undefined,
  now: Date,
): Promise<GatewayNodeActor> {
  const token = /^Bearer (\S+)$/i.exec(authorization ?? "")?.[1];
  if (!token || !tokenPattern.test(token)) throw unauthenticated();
  const [node] = await db
    .select()
    .from(gatewayNodes)
    .where(and(eq(gatewayNodes.tokenHash, hashToken(token)), isNull(gatewayNodes.revokedAt)));
  if (!node) throw unauthenticated();
  if (!node.lastSeenAt || now.getTime() - node.lastSeenAt.getTime() > touchIntervalMs)
    await db.update(gatewayNodes).set({ lastSeenAt: now }).where(eq(gatewayNodes.id, node.id));
  return { kind: "gateway_node", nodeId: node.id, regionId: node.regionId, name: node.name };
}
