import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import {
  AcquireLeasesBody,
  type BatchAccepted,
  CdrBatchBody,
  ChangesQuery,
  type CreatedGatewayNode,
  CreateGatewayNodeBody,
  type GatewayChanges,
  type GatewayNodeList,
  GatewayNodeParams,
  type GatewayNodeView,
  type GatewaySnapshot,
  type ItemResults,
  LeaseDevicesBody,
  type LeasesResponse,
  maxGatewayBatch,
  RegionIdParam,
  RegistrationReportsBody,
  SipTraceBatchBody,
} from "../../../shared/contracts/gateway.ts";
import { type GatewayNodeActor, whoOf } from "../../authz/actor.ts";
import { authorize } from "../../authz/policy.ts";
import { inTransaction } from "../../context.ts";
import { created, requireActor } from "../../http/context.ts";
import { AppError } from "../../lib/errors.ts";
import type { Services } from "../../services.ts";
import { readSnapshot, waitForChanges } from "./feed.ts";
import {
  authenticateGatewayNode,
  createGatewayNode,
  listGatewayNodes,
  presentGatewayNode,
  revokeGatewayNode,
} from "./gateway-nodes.ts";
import {
  acquireLeases,
  applyRegistrationReports,
  releaseLeases,
  renewLeases,
  storeCdrs,
  storeSipTraces,
} from "./reports.ts";

/**
 * The operator's gateway nodes of an SBC region (ADR 0019): list, add (the token is shown once),
 * revoke. Not tenant-scoped: the operator catalogue, any other role is refused (403).
 */
export function gatewayNodeRoutes(services: Services): FastifyPluginAsyncZod {
  const { db } = services;
  const tags = ["gateway nodes"];
  return async (app) => {
    app.get(
      "/regions/:regionId/gateway-nodes",
      { schema: { params: RegionIdParam, tags, summary: "The SBC region's gateway nodes" } },
      async (request): Promise<GatewayNodeList> => {
        authorize(requireActor(request), "gateway_node.manage");
        const rows = await listGatewayNodes(db, request.params.regionId);
        return { items: rows.map(presentGatewayNode) };
      },
    );
    app.post(
      "/regions/:regionId/gateway-nodes",
      {
        schema: {
          params: RegionIdParam,
          body: CreateGatewayNodeBody,
          tags,
          summary: "Add a gateway node; its token is in this answer only",
        },
      },
      async (request, reply): Promise<CreatedGatewayNode> => {
        const actor = requireActor(request);
        authorize(actor, "gateway_node.manage");
        return created(
          reply,
          await inTransaction(services, whoOf(actor), (ctx) =>
            createGatewayNode(ctx, request.params.regionId, request.body),
          ),
        );
      },
    );
    app.post(
      "/regions/:regionId/gateway-nodes/:nodeId/revoke",
      {
        schema: {
          params: GatewayNodeParams,
          tags,
          summary: "Revoke a gateway node's token (it is refused from its next request)",
        },
      },
      async (request): Promise<GatewayNodeView> => {
        const actor = requireActor(request);
        authorize(actor, "gateway_node.manage");
        const row = await inTransaction(services, whoOf(actor), (ctx) =>
          revokeGatewayNode(ctx, request.params.regionId, request.params.nodeId),
        );
        return presentGatewayNode(row);
      },
    );
  };
}

declare module "fastify" {
  interface FastifyRequest {
    /** The gateway node of a gateway route's request (set by its authentication hook). */
    gatewayNode: GatewayNodeActor | null;
  }
}

function nodeOf(request: FastifyRequest): GatewayNodeActor {
  if (!request.gatewayNode)
    throw new AppError("unauthenticated", "A gateway node token is required");
  return request.gatewayNode;
}

/** Refuses a batch of more than `maxGatewayBatch` items with 413, before validating it. */
async function boundedBatch(request: FastifyRequest): Promise<void> {
  const items = (request.body as { items?: unknown } | null)?.items;
  if (Array.isArray(items) && items.length > maxGatewayBatch)
    throw new AppError(
      "payload_too_large",
      `A batch carries at most ${maxGatewayBatch} items; send the rest in another`,
    );
}

/**
 * What the SBC gateway nodes read and write, under `/gateway` (SPEC §5, ADR 0019). Every route
 * authenticates a node by its bearer token (never a portal session) and serves its region only.
 */
export function gatewayFeedRoutes(services: Services): FastifyPluginAsyncZod {
  const { db, secret } = services;
  const leaseSeconds = services.env.GATEWAY_LEASE_SECONDS;
  const tags = ["gateway"];
  const security = [{ gatewayNode: [] }];
  const config = { gatewayNode: true };
  return async (app) => {
    // Waiting long polls answer at once when the server starts closing, so shutdown is not held up.
    let closing = false;
    app.addHook("preClose", async () => {
      closing = true;
    });
    app.decorateRequest("gatewayNode", null);
    app.addHook("onRequest", async (request) => {
      request.gatewayNode = await authenticateGatewayNode(
        db,
        request.headers.authorization,
        services.now(),
      );
    });

    app.get(
      "/gateway/snapshot",
      {
        config,
        schema: {
          security,
          tags,
          summary: "The node's region: enterprises, PBXs, users, and the cursor",
        },
      },
      async (request): Promise<GatewaySnapshot> => readSnapshot(db, secret, nodeOf(request)),
    );

    app.get(
      "/gateway/changes",
      {
        config,
        schema: {
          security,
          querystring: ChangesQuery,
          tags,
          summary: "What changed in the node's region after a cursor (long poll with wait)",
        },
      },
      async (request): Promise<GatewayChanges> =>
        waitForChanges(
          db,
          secret,
          nodeOf(request),
          request.query.after,
          request.query.wait,
          () => closing || request.raw.destroyed,
        ),
    );

    app.post(
      "/gateway/registrations",
      {
        config,
        preValidation: boundedBatch,
        schema: {
          security,
          body: RegistrationReportsBody,
          tags,
          summary: "Registration reports of leased devices (per item: 200, 404, 409)",
        },
      },
      async (request): Promise<ItemResults> =>
        applyRegistrationReports(db, nodeOf(request), request.body.items, services.now()),
    );

    app.post(
      "/gateway/leases/acquire",
      {
        config,
        schema: {
          security,
          body: AcquireLeasesBody,
          tags,
          summary: "Lease free devices of the region",
        },
      },
      async (request): Promise<LeasesResponse> =>
        acquireLeases(db, nodeOf(request), request.body, services.now(), leaseSeconds),
    );
    app.post(
      "/gateway/leases/renew",
      {
        config,
        schema: {
          security,
          body: LeaseDevicesBody,
          tags,
          summary: "Renew this node's device leases",
        },
      },
      async (request): Promise<LeasesResponse> =>
        renewLeases(db, nodeOf(request), request.body.deviceIds, services.now(), leaseSeconds),
    );
    app.post(
      "/gateway/leases/release",
      {
        config,
        schema: {
          security,
          body: LeaseDevicesBody,
          tags,
          summary: "Release this node's device leases",
        },
      },
      async (request): Promise<LeasesResponse> =>
        releaseLeases(db, nodeOf(request), request.body.deviceIds, leaseSeconds),
    );

    app.post(
      "/gateway/cdrs",
      {
        config,
        bodyLimit: 4 * 1024 * 1024,
        preValidation: boundedBatch,
        schema: {
          security,
          body: CdrBatchBody,
          tags,
          summary: "Call records (idempotent per call and leg)",
        },
      },
      async (request): Promise<BatchAccepted> => storeCdrs(db, nodeOf(request), request.body.items),
    );
    app.post(
      "/gateway/traces",
      {
        config,
        bodyLimit: 16 * 1024 * 1024,
        preValidation: boundedBatch,
        schema: {
          security,
          body: SipTraceBatchBody,
          tags,
          summary: "SIP trace messages (idempotent per call, leg and sequence; bounded per leg)",
        },
      },
      async (request): Promise<BatchAccepted> =>
        storeSipTraces(db, nodeOf(request), request.body.items),
    );
  };
}
