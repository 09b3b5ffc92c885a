import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import type { EmulatorContext } from "./context.ts";
import { controlRoutes } from "./control.routes.ts";
import type { EmulatorControl } from "./control.ts";
import { entraError, graphError } from "./errors.ts";
import { FaultInjector, installFaults, unverifiedTenantOf } from "./faults.ts";
import { graphRoutes } from "./graph.routes.ts";
import { loginRoutes } from "./login.routes.ts";
import { DirectoryState, type Propagation } from "./state.ts";
import { teamsVoiceRoutes } from "./teams-voice.routes.ts";
import { loadOrCreateTls } from "./tls.ts";
import { loadOrCreateKeys, TokenIssuer } from "./tokens.ts";

export type { EmulatorControl } from "./control.ts";
export { graphPermissions } from "./graph.routes.ts";
export { numberOperationMs } from "./graph-admin.routes.ts";
export type { DomainActivation, Propagation, SeedUser, TeamsVoiceView } from "./state.ts";
export { consumersTenantId, roleTemplateIds, skus } from "./state.ts";
export { teamsVoiceBase } from "./teams-voice.routes.ts";
export { teamsAdminResource } from "./tokens.ts";

/** A running emulator: two HTTPS origins (login and Graph) over one generated CA. */
export interface Emulator {
  /** Login origin, e.g. https://127.0.0.1:44301 ; authority for a tenant = `${loginUrl}/${tenantId}` (also "organizations", "common"). */
  loginUrl: string;
  /**
   * Graph origin, e.g. https://127.0.0.1:44302 ; Graph base = `${graphUrl}/v1.0`; the Teams voice
   * origin (what Teams PowerShell manages) = `${graphUrl}/teams-voice/{tenantId}`.
   */
  graphUrl: string;
  /** PEM of the CA that signed both servers' certificates, and the file holding it (for NODE_EXTRA_CA_CERTS). */
  caPem: string;
  caFile: string;
  /** Bearer token for `${loginUrl}/_control/...`; null when bound to loopback (no token needed). */
  controlToken: string | null;
  control: EmulatorControl;
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  host?: string;
  loginPort?: number;
  graphPort?: number;
  /** Keeps the CA, server certificate and token signing key; a temporary directory when absent. */
  dataDir?: string;
  /** Require this control token even on loopback (default: a random one off loopback, none on it). */
  controlToken?: string;
  /** Microsoft's propagation delays from the start (see `setPropagation`). */
  propagation?: Partial<Propagation>;
  /** Direct Routing's derived trunk activation delay from the start (see `setDirectRoutingActivationDelay`). */
  directRoutingActivationMs?: number;
}

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isLoopback(host: string): boolean {
  return host === "127.0.0.1" || host === "localhost" || host === "::1";
}

function urlOf(host: string, port: number): string {
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `https://${shown.includes(":") ? `[${shown}]` : shown}:${port}`;
}

/**
 * Starts the Microsoft emulator: the login origin (sign-in, consent, tokens, discovery, control API)
 * and the Graph origin, both HTTPS with a certificate from the emulator's own CA. Port 0 picks a
 * free port (the default for both).
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? "127.0.0.1";
  const temporary = !options.dataDir;
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), "teamgate-emulator-"));
  mkdirSync(dir, { recursive: true });
  const [tls, keys] = await Promise.all([loadOrCreateTls(dir, [host]), loadOrCreateKeys(dir)]);
  const https = { key: tls.key, cert: tls.cert };
  const login: FastifyInstance = Fastify({ https, logger: false, bodyLimit: 1024 * 1024 });
  const graph: FastifyInstance = Fastify({ https, logger: false, bodyLimit: 4 * 1024 * 1024 });
  const servers = [login, graph];
  const state = new DirectoryState();
  const faults = new FaultInjector();
  Object.assign(state.propagation, options.propagation ?? {});
  state.directRoutingActivationMs = options.directRoutingActivationMs ?? 0;
  const ctx: EmulatorContext = {
    state,
    faults,
    issuer: new TokenIssuer(keys, () => ctx.loginUrl),
    // Filled in once the servers listen (port 0 picks a free port).
    loginUrl: "",
    graphUrl: "",
  };
  const control: EmulatorControl = {
    registerApp: (app) => {
      state.registerApp(app);
    },
    seedTenant: (input) => state.seedTenant(input),
    addUser: (tenantId, user) => state.addUser(tenantId, user),
    updateUser: (tenantId, userId, patch) => state.updateUser(tenantId, userId, patch),
    removeUser: (tenantId, userId) => state.removeUser(tenantId, userId),
    addGroup: (tenantId, displayName) => state.addGroup(tenantId, displayName),
    nestGroup: (tenantId, parentId, childId) => state.nestGroup(tenantId, parentId, childId),
    setGroupMember: (tenantId, groupId, userId, member) =>
      state.setGroupMember(tenantId, groupId, userId, member),
    grantAdminConsent: (tenantId, clientId, options) =>
      state.grantAdminConsent(tenantId, clientId, options),
    expireDeltaTokens: (tenantId) => state.expireDeltaTokens(tenantId),
    publishTxt: (name, value) => state.publishTxt(name, value),
    removeTxt: (name, value) => state.removeTxt(name, value),
    txtValues: (name) => state.txtValues(name),
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    setPropagation: (delays) => {
      for (const key of ["consentMs", "roleAssignmentMs"] as const) {
        const value = delays[key];
        if (value === undefined) continue;
        if (!Number.isFinite(value) || value < 0) throw new Error(`${key} must be a number ≥ 0`);
        state.propagation[key] = value;
      }
      return { ...state.propagation };
    },
    setDnsPropagationDelay: (ms) => {
      if (!Number.isFinite(ms) || ms < 0) throw new Error("ms must be a number ≥ 0");
      state.dnsPropagationMs = ms;
      return ms;
    },
    setDirectRoutingActivationDelay: (ms) => {
      if (!Number.isFinite(ms) || ms < 0) throw new Error("ms must be a number ≥ 0");
      state.directRoutingActivationMs = ms;
      return ms;
    },
    addCarrierTrunk: (fqdn) => {
      const name = String(fqdn ?? "")
        .trim()
        .toLowerCase()
        .replace(/\.$/, "");
      if (!/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(name))
        throw new Error(`Not a fully qualified domain name: ${String(fqdn)}`);
      state.carrierTrunks.add(name);
    },
    getDomainActivation: (tenantId, fqdn) => state.domainActivation(tenantId, fqdn),
    teamsVoice: (tenantId) => state.teamsVoiceView(tenantId),
    adminCenterEdit: (tenantId, edit) => state.adminCenterEdit(tenantId, edit),
    setSkuUnits: (tenantId, license, units) => state.setSkuUnits(tenantId, license, units),
    tenantState: (tenantId) => state.tenantState(tenantId),
  };
  const controlToken =
    options.controlToken ?? (isLoopback(host) ? null : randomBytes(24).toString("base64url"));

  installFaults(
    login,
    faults,
    (request) => {
      const segment = request.url.split("/")[1]?.split("?")[0] ?? "";
      if (guidPattern.test(segment)) return segment.toLowerCase();
      return state.findTenant(segment)?.id ?? null;
    },
    (status) =>
      entraError(
        ctx.loginUrl,
        status === 429 ? 50196 : 90033,
        status === 429 ? "temporarily_unavailable" : "temporarily_unavailable",
        status === 429
          ? "The server is too busy; the client should retry after the time in Retry-After."
          : "A transient error has occurred. Please try again.",
      ),
  );
  installFaults(
    graph,
    faults,
    (request) => unverifiedTenantOf(request.headers.authorization),
    (status) =>
      graphError(
        status === 429
          ? "TooManyRequests"
          : status === 503
            ? "serviceNotAvailable"
            : "generalException",
        status === 429
          ? "Too many requests are being made. Please try again later."
          : "The service is temporarily unavailable. Please try again later.",
      ),
  );
  await loginRoutes(login, ctx);
  await controlRoutes(login, control, controlToken);
  await graphRoutes(graph, ctx);
  teamsVoiceRoutes(graph, ctx);
  try {
    await login.listen({ host, port: options.loginPort ?? 0 });
    await graph.listen({ host, port: options.graphPort ?? 0 });
  } catch (e) {
    await Promise.allSettled(servers.map((s) => s.close()));
    const err = e as NodeJS.ErrnoException;
    throw new Error(
      err.code === "EADDRINUSE"
        ? `A port for the Microsoft emulator is in use (${err.message}); set EMULATOR_LOGIN_PORT / EMULATOR_GRAPH_PORT.`
        : err.message,
    );
  }
  const portOf = (s: FastifyInstance) => {
    const address = s.server.address();
    return typeof address === "object" && address ? address.port : 0;
  };
  ctx.loginUrl = urlOf(host, portOf(login));
  ctx.graphUrl = urlOf(host, portOf(graph));

  return {
    loginUrl: ctx.loginUrl,
    graphUrl: ctx.graphUrl,
    caPem: tls.caPem,
    caFile: tls.caFile,
    controlToken,
    control,
    async stop() {
      await Promise.allSettled(servers.map((s) => s.close()));
      if (temporary) rmSync(dir, { recursive: true, force: true });
    },
  };
}
