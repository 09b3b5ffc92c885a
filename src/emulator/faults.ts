import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** A fault to inject: see EmulatorControl.injectFault. */
export interface FaultSpec {
  method?: string;
  path: string;
  tenantId?: string;
  status?: number;
  retryAfterSeconds?: number;
  latencyMs?: number;
  /**
   * The request is carried out, then its answer held back this long: a client that gives up or
   * dies meanwhile never learns that the change was made (as with a slow answer from Microsoft).
   */
  answerDelayMs?: number;
  times?: number;
}

interface Fault extends FaultSpec {
  id: string;
  regex: RegExp;
  remaining: number;
}

/** Matching requests get a status and/or latency, a given number of times or until cleared. */
export class FaultInjector {
  private faults: Fault[] = [];

  add(spec: FaultSpec): string {
    const fault: Fault = {
      ...spec,
      id: randomUUID(),
      regex: new RegExp(spec.path),
      remaining: spec.times ?? Number.POSITIVE_INFINITY,
    };
    this.faults.push(fault);
    return fault.id;
  }

  clear(): void {
    this.faults = [];
  }

  /** The first live fault matching the request; consumes one of its uses. */
  take(method: string, url: string, tenantId: string | null): Fault | null {
    const fault = this.faults.find(
      (f) =>
        f.remaining > 0 &&
        (!f.method || f.method.toUpperCase() === method.toUpperCase()) &&
        (!f.tenantId || f.tenantId === tenantId) &&
        f.regex.test(url),
    );
    if (!fault) return null;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }
}

/**
 * Applies injected faults to every request of an origin except the control API. `body` renders the
 * error in the origin's own format (Entra JSON on the login origin, Graph's on the Graph origin).
 */
export function installFaults(
  app: FastifyInstance,
  faults: FaultInjector,
  tenantOf: (request: FastifyRequest) => string | null,
  body: (status: number) => unknown,
): void {
  const heldAnswers = new WeakMap<FastifyRequest, number>();
  app.addHook("onSend", async (request: FastifyRequest) => {
    const delay = heldAnswers.get(request);
    if (delay) await new Promise((r) => setTimeout(r, delay));
  });
  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.url.startsWith("/_control")) return;
    const fault = faults.take(request.method, request.url, tenantOf(request));
    if (!fault) return;
    if (fault.answerDelayMs) heldAnswers.set(request, fault.answerDelayMs);
    if (fault.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
    if (!fault.status) return;
    const retryAfter = fault.retryAfterSeconds ?? (fault.status === 429 ? 1 : undefined);
    if (retryAfter !== undefined) reply.header("Retry-After", String(retryAfter));
    return reply.code(fault.status).send(body(fault.status));
  });
}

/** The `tid` of a bearer token, read without verification (only to match faults). */
export function unverifiedTenantOf(authorization: string | undefined): string | null {
  const token = authorization?.replace(/^Bearer\s+/i, "");
  const payload = token?.split(".")[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as {
      tid?: unknown;
    };
    return typeof claims.tid === "string" ? claims.tid : null;
  } catch {
    return null;
  }
}
