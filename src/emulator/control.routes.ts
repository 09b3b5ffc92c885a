import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { EmulatorControl } from "./control.ts";
import { type AdminCenterEdit, type LicenseName, NotFound, type SeedUser } from "./state.ts";

/**
 * The control API at `${loginUrl}/_control/...` (JSON): the same operations as the programmatic
 * `control` object. Guarded by `Authorization: Bearer <controlToken>` unless `controlToken` is null.
 */
export async function controlRoutes(
  app: FastifyInstance,
  control: EmulatorControl,
  controlToken: string | null,
): Promise<void> {
  app.addHook("onRequest", async (request, reply) => {
    if (!request.url.startsWith("/_control") || controlToken === null) return;
    const given = Buffer.from(request.headers.authorization?.replace(/^Bearer\s+/i, "") ?? "");
    const expected = Buffer.from(controlToken);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return reply
        .code(401)
        .send({ error: "unauthorized", message: "A valid control token is required." });
  });

  const run = async <T>(reply: FastifyReply, fn: () => T, status = 200) => {
    try {
      const result = fn();
      return reply.code(status).send(result ?? { ok: true });
    } catch (e) {
      if (e instanceof NotFound)
        return reply.code(404).send({ error: "not_found", message: e.message });
      return reply.code(400).send({ error: "bad_request", message: (e as Error).message });
    }
  };

  type Body<T> = { Body: T };
  type P<T> = { Params: T };
  type Query<T> = { Querystring: T };
  app.post<Body<Parameters<EmulatorControl["registerApp"]>[0]>>("/_control/apps", (req, reply) =>
    run(reply, () => control.registerApp(req.body), 201),
  );
  app.post<Body<Parameters<EmulatorControl["seedTenant"]>[0]>>("/_control/tenants", (req, reply) =>
    run(reply, () => control.seedTenant(req.body), 201),
  );
  app.get<P<{ tenantId: string }>>("/_control/tenants/:tenantId", (req, reply) =>
    run(reply, () => control.tenantState(req.params.tenantId)),
  );
  app.post<P<{ tenantId: string }> & Body<SeedUser>>(
    "/_control/tenants/:tenantId/users",
    (req, reply) => run(reply, () => control.addUser(req.params.tenantId, req.body), 201),
  );
  app.patch<P<{ tenantId: string; userId: string }> & Body<Partial<SeedUser>>>(
    "/_control/tenants/:tenantId/users/:userId",
    (req, reply) =>
      run(reply, () => control.updateUser(req.params.tenantId, req.params.userId, req.body)),
  );
  app.delete<P<{ tenantId: string; userId: string }>>(
    "/_control/tenants/:tenantId/users/:userId",
    (req, reply) => run(reply, () => control.removeUser(req.params.tenantId, req.params.userId)),
  );
  app.post<P<{ tenantId: string }> & Body<{ displayName: string }>>(
    "/_control/tenants/:tenantId/groups",
    (req, reply) =>
      run(reply, () => control.addGroup(req.params.tenantId, req.body.displayName), 201),
  );
  app.put<P<{ tenantId: string; groupId: string; memberId: string }> & Body<{ kind?: string }>>(
    "/_control/tenants/:tenantId/groups/:groupId/members/:memberId",
    (req, reply) =>
      run(reply, () =>
        req.body?.kind === "group"
          ? control.nestGroup(req.params.tenantId, req.params.groupId, req.params.memberId)
          : control.setGroupMember(
              req.params.tenantId,
              req.params.groupId,
              req.params.memberId,
              true,
            ),
      ),
  );
  app.delete<P<{ tenantId: string; groupId: string; memberId: string }>>(
    "/_control/tenants/:tenantId/groups/:groupId/members/:memberId",
    (req, reply) =>
      run(reply, () =>
        control.setGroupMember(req.params.tenantId, req.params.groupId, req.params.memberId, false),
      ),
  );
  app.post<P<{ tenantId: string }> & Body<{ clientId: string; longAgo?: boolean }>>(
    "/_control/tenants/:tenantId/admin-consent",
    (req, reply) =>
      run(reply, () =>
        control.grantAdminConsent(req.params.tenantId, req.body.clientId, {
          longAgo: req.body.longAgo === true,
        }),
      ),
  );
  app.post<P<{ tenantId: string }>>(
    "/_control/tenants/:tenantId/expire-delta-tokens",
    (req, reply) => run(reply, () => control.expireDeltaTokens(req.params.tenantId)),
  );
  app.post<Body<{ name?: unknown; value?: unknown }>>("/_control/dns/txt", (req, reply) =>
    run(
      reply,
      () =>
        control.publishTxt(textParam(req.body?.name, "name"), textParam(req.body?.value, "value")),
      201,
    ),
  );
  app.delete<Query<{ name?: unknown; value?: unknown }>>("/_control/dns/txt", (req, reply) =>
    run(reply, () =>
      control.removeTxt(textParam(req.query.name, "name"), textParam(req.query.value, "value")),
    ),
  );
  app.get<Query<{ name?: unknown }>>("/_control/dns/txt", (req, reply) =>
    run(reply, () => {
      const name = textParam(req.query.name, "name");
      return { name, values: control.txtValues(name) };
    }),
  );
  app.post<Body<Parameters<EmulatorControl["injectFault"]>[0]>>("/_control/faults", (req, reply) =>
    run(reply, () => ({ id: control.injectFault(req.body) }), 201),
  );
  app.put<Body<Parameters<EmulatorControl["setPropagation"]>[0]>>(
    "/_control/propagation",
    (req, reply) => run(reply, () => control.setPropagation(req.body ?? {})),
  );
  app.delete("/_control/faults", (_req, reply) => run(reply, () => control.clearFaults()));
  app.put<Body<{ ms: number }>>("/_control/dns/propagation-delay", (req, reply) =>
    run(reply, () => ({ ms: control.setDnsPropagationDelay(req.body?.ms) })),
  );
  app.put<Body<{ ms: number }>>("/_control/direct-routing/activation-delay", (req, reply) =>
    run(reply, () => ({ ms: control.setDirectRoutingActivationDelay(req.body?.ms) })),
  );
  app.post<Body<{ fqdn: string }>>("/_control/direct-routing/carrier-trunks", (req, reply) =>
    run(reply, () => control.addCarrierTrunk(req.body?.fqdn), 201),
  );
  app.post<P<{ tenantId: string }> & Body<AdminCenterEdit>>(
    "/_control/tenants/:tenantId/admin-center",
    (req, reply) =>
      run(reply, () => control.adminCenterEdit(req.params.tenantId, req.body ?? ({} as never))),
  );
  app.get<P<{ tenantId: string }>>("/_control/tenants/:tenantId/teams-voice", (req, reply) =>
    run(reply, () => control.teamsVoice(req.params.tenantId)),
  );
  app.get<P<{ tenantId: string; fqdn: string }>>(
    "/_control/tenants/:tenantId/domains/:fqdn/activation",
    (req, reply) =>
      run(reply, () => control.getDomainActivation(req.params.tenantId, req.params.fqdn)),
  );
  app.put<P<{ tenantId: string; license: LicenseName }> & Body<{ units: number }>>(
    "/_control/tenants/:tenantId/skus/:license",
    (req, reply) =>
      run(reply, () =>
        control.setSkuUnits(req.params.tenantId, req.params.license, req.body?.units),
      ),
  );
}

/** A required non-empty string from a body or query field; otherwise a 400 naming the field. */
function textParam(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "") throw new Error(`${field} is required`);
  return value;
}
