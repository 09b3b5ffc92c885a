import { readFileSync } from "node:fs";
import type { FastifyInstance, InjectOptions } from "fastify";
import pg from "pg";
import pino from "pino";
import { inject } from "vitest";
import { type Emulator, type Propagation, startEmulator } from "../src/emulator/index.ts";
import { inTransaction } from "../src/server/context.ts";
import { type Database, openPglite, openPostgres } from "../src/server/db/client.ts";
import { defaultPassword } from "../src/server/db/seed/factories.ts";
import { type Env, parseEnv } from "../src/server/env.ts";
import { buildApp } from "../src/server/http/app.ts";
import { dnsFromEnv } from "../src/server/integrations/dns/config.ts";
import type { Mailer, MailMessage } from "../src/server/integrations/mail/mailer.ts";
import {
  microsoftConfigFromEnv,
  requestedAppPermissions,
  requiredDelegatedScopes,
} from "../src/server/integrations/microsoft/config.ts";
import { createMicrosoft } from "../src/server/integrations/microsoft/port.ts";
import { createEmulatorTeamsVoice } from "../src/server/integrations/teams-voice/emulator.ts";
import { startQueue } from "../src/server/jobs/queue.ts";
import { jobs } from "../src/server/jobs/registry.ts";
import { runQueuedJobs } from "../src/server/jobs/worker.ts";
import { openEnterpriseAdminSession } from "../src/server/modules/enterprise-portal/index.ts";
import type { Services } from "../src/server/services.ts";
import { withDatabase } from "./global-setup.ts";

/** A clone of the run's template database: PGlite in memory, or a fresh PostgreSQL database. */
export async function openTestDatabase(): Promise<Database> {
  const postgresTemplate = inject("postgresTemplate");
  if (postgresTemplate) {
    const url = process.env.TEST_DATABASE_URL!;
    const name = `teamgate_t_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${postgresTemplate}`);
    const database = await openPostgres(withDatabase(url, name), 4);
    return {
      ...database,
      close: async () => {
        await database.close();
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      },
    };
  }
  const dump = readFileSync(inject("pgliteTemplate"));
  return openPglite({ loadDataDir: new Blob([dump]) });
}

/** A mailer that keeps what it sends, and can be told to fail. */
export class MemoryMailer implements Mailer {
  sent: MailMessage[] = [];
  failWith: Error | null = null;
  async send(message: MailMessage) {
    if (this.failWith) throw this.failWith;
    this.sent.push(message);
    return { messageId: `<${this.sent.length}@test>` };
  }
  close() {}
  to(email: string) {
    return this.sent.filter((m) => m.to === email);
  }
}

export type TestServices = Services & {
  mailer: MemoryMailer;
  drain(jobName: string): Promise<number>;
};

export function testEnv(overrides: Record<string, string> = {}): Env {
  const parsed = parseEnv({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    APP_SECRET: "test-secret-test-secret-test-secret-00",
    ...overrides,
  });
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  return parsed.env;
}

export async function createTestServices(
  envOverrides: Record<string, string> = {},
): Promise<TestServices> {
  const env = testEnv(envOverrides);
  const database = await openTestDatabase();
  const boss = await startQueue(database, jobs, () => {});
  const services: TestServices = {
    env,
    database,
    db: database.db,
    boss,
    mailer: new MemoryMailer(),
    microsoft: null,
    dns: null,
    teamsVoice: null,
    log: pino({ level: "silent" }),
    secret: env.APP_SECRET!,
    publicUrl: "http://teamgate.test",
    now: () => new Date(),
    drain: (jobName) => runQueuedJobs(services, jobName),
  };
  return services;
}

export async function closeTestServices(services: Services): Promise<void> {
  await services.boss.stop({ graceful: false, wait: true });
  await services.database.close();
}

export interface TestApp {
  app: FastifyInstance;
  services: TestServices;
  /** The Microsoft emulator `services.microsoft` and `services.dns` talk to (with `microsoft: true`). */
  emulator: Emulator | null;
  close(): Promise<void>;
}

/**
 * Microsoft's propagation delays in tests: an admin consent reaches tokens and Graph after a
 * while (7000229, then tokens without roles), and so does a role assignment. Microsoft takes
 * minutes; these are scaled down so the product's waiting is exercised on every registration.
 */
export const realisticPropagation: Propagation = { consentMs: 900, roleAssignmentMs: 600 };

/** The application the emulator knows the platform as (`microsoft: true`). */
export const testMicrosoftApp = {
  clientId: "00000000-0000-4000-8000-00000000a11c",
  clientSecret: "emulator-test-client-secret",
} as const;

/**
 * (Re-)registers the platform's application in the emulator as the README tells operators to
 * register it in Entra, or, with `appRoles`, with fewer application permissions than required.
 */
export function registerTestMicrosoftApp(
  emulator: Emulator,
  services: Pick<Services, "publicUrl" | "env">,
  appRoles: readonly string[] = requestedAppPermissions,
): void {
  emulator.control.registerApp({
    ...testMicrosoftApp,
    displayName: "Teamgate (test)",
    appRoles: [...appRoles],
    delegatedScopes: [...requiredDelegatedScopes],
    redirectUris: [
      `${services.publicUrl}${services.env.MS_REDIRECT_PATH}`,
      `${services.publicUrl}${services.env.MS_ADMIN_CONSENT_REDIRECT_PATH}`,
    ],
  });
}

/**
 * The API on a fresh test database. With `microsoft: true` a Microsoft emulator is started for
 * this app (one per test file: call it in `beforeAll`) and `services.microsoft`, `services.dns`
 * and `services.teamsVoice` (the emulator adapters) talk to it over real HTTPS, with short retry
 * delays.
 */
export async function createTestApp(
  options: {
    env?: Record<string, string>;
    microsoft?: boolean;
    /** Microsoft's delays (default: realistic, scaled down; `{ consentMs: 0 }` for instant). */
    propagation?: Partial<Propagation>;
    /** How long the app's close waits for open connections (the app's default otherwise). */
    closeGraceMs?: number;
  } = {},
): Promise<TestApp> {
  let emulator: Emulator | null = null;
  let env = options.env ?? {};
  if (options.microsoft) {
    emulator = await startEmulator({
      propagation: { ...realisticPropagation, ...options.propagation },
    });
    env = {
      MS_CLIENT_ID: testMicrosoftApp.clientId,
      MS_CLIENT_SECRET: testMicrosoftApp.clientSecret,
      MS_LOGIN_BASE: emulator.loginUrl,
      MS_GRAPH_BASE: emulator.graphUrl,
      MS_CA_FILE: emulator.caFile,
      DNS_EMULATOR_URL: emulator.loginUrl,
      DNS_EMULATOR_CA_FILE: emulator.caFile,
      ...env,
    };
  }
  const services = await createTestServices(env);
  if (emulator) {
    registerTestMicrosoftApp(emulator, services);
    const retry = { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100, maxTotalMs: 5_000 };
    services.microsoft = createMicrosoft(microsoftConfigFromEnv(services.env)!, { retry });
    services.teamsVoice = createEmulatorTeamsVoice({
      microsoft: services.microsoft,
      graphBase: emulator.graphUrl,
      caPem: emulator.caPem,
      retry,
    });
    services.dns = dnsFromEnv(services.env);
  }
  const app = await buildApp(services, { closeGraceMs: options.closeGraceMs });
  await app.ready();
  return {
    app,
    services,
    emulator,
    close: async () => {
      await app.close();
      await services.teamsVoice?.close();
      await services.microsoft?.close();
      await services.dns?.close();
      await closeTestServices(services);
      await emulator?.stop();
    },
  };
}

export { caught } from "./caught.ts";

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

/** Requests as one signed-in account (cookie + CSRF token), or anonymously. */
export interface Client {
  request<T = any>(
    method: InjectOptions["method"],
    url: string,
    body?: unknown,
    /** Extra request headers (a `content-type` other than JSON, say). */
    headers?: Record<string, string>,
  ): Promise<ApiResponse<T>>;
  get<T = any>(url: string): Promise<ApiResponse<T>>;
  post<T = any>(url: string, body?: unknown): Promise<ApiResponse<T>>;
  patch<T = any>(url: string, body?: unknown): Promise<ApiResponse<T>>;
  put<T = any>(url: string, body?: unknown): Promise<ApiResponse<T>>;
  delete<T = any>(url: string): Promise<ApiResponse<T>>;
}

export function clientOf(
  app: FastifyInstance,
  auth?: { cookie: string; csrfToken: string },
  /** Each request from a new client address (per-address rate limits stay out of the way). */
  addresses?: () => string,
): Client {
  const request = async (
    method: InjectOptions["method"],
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await app.inject({
      method,
      url,
      ...(addresses ? { remoteAddress: addresses() } : {}),
      headers: {
        ...(auth ? { cookie: auth.cookie, "x-csrf-token": auth.csrfToken } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    const text = response.body;
    return {
      status: response.statusCode,
      body: text ? safeJson(text) : null,
      headers: response.headers,
    } as ApiResponse<any>;
  };
  return {
    request,
    get: (url) => request("GET", url),
    post: (url, body) => request("POST", url, body ?? {}),
    patch: (url, body) => request("PATCH", url, body ?? {}),
    put: (url, body) => request("PUT", url, body ?? {}),
    delete: (url) => request("DELETE", url),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Signs in through the API and returns a client carrying the session. */
export async function signIn(
  app: FastifyInstance,
  login: string,
  password = defaultPassword,
): Promise<Client> {
  const response = await app.inject({
    method: "POST",
    url: "/api/v1/auth/login",
    payload: { login, password },
  });
  if (response.statusCode !== 200)
    throw new Error(`sign-in of ${login} failed: ${response.statusCode} ${response.body}`);
  const cookie = response.cookies.find((c) => c.name === "tg_session");
  return clientOf(app, {
    cookie: `tg_session=${cookie!.value}`,
    csrfToken: (response.json() as { csrfToken: string }).csrfToken,
  });
}

/** A client carrying a session cookie set by a redirect (enterprise admins sign in at Microsoft). */
export async function clientWithSessionCookie(
  app: FastifyInstance,
  setCookie: unknown,
): Promise<Client> {
  const cookie = cookieOf(setCookie, "tg_session");
  const session = await app.inject({
    method: "GET",
    url: "/api/v1/auth/session",
    headers: { cookie },
  });
  if (session.statusCode !== 200)
    throw new Error(`session check failed: ${session.statusCode} ${session.body}`);
  return clientOf(app, { cookie, csrfToken: (session.json() as { csrfToken: string }).csrfToken });
}

/** A client signed in as an enterprise admin (the session Microsoft sign-in would open). */
export async function signInEnterpriseAdmin(
  app: FastifyInstance,
  services: Services,
  enterpriseAdminId: string,
): Promise<Client> {
  const session = await inTransaction(
    services,
    { actor: null, label: "test", clientAddress: null },
    (ctx) =>
      openEnterpriseAdminSession(ctx, { enterpriseAdminId, clientAddress: null, userAgent: null }),
  );
  return clientWithSessionCookie(app, `tg_session=${session.token}`);
}

/** `tg_ms_flow=…` from a "Sign in with Microsoft" response: the browser's flow binding. */
export function flowCookieOf(setCookie: unknown): string {
  return cookieOf(setCookie, "tg_ms_flow");
}

/** `tg_session=…` from a response that signed someone in, to send with other cookies. */
export function sessionCookieOf(setCookie: unknown): string {
  return cookieOf(setCookie, "tg_session");
}

/** `name=value` of one cookie in a response's `set-cookie` header(s), for a `cookie` header. */
function cookieOf(setCookie: unknown, name: string): string {
  const header = Array.isArray(setCookie) ? setCookie.join("; ") : String(setCookie ?? "");
  const value = header.match(new RegExp(`${name}=([^;]+)`))?.[1];
  if (!value) throw new Error(`no ${name} cookie in: ${header}`);
  return `${name}=${value}`;
}
