import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { demoLogins, seedDemoTenant } from "../emulator/demo.ts";
import { type Emulator, startEmulator } from "../emulator/index.ts";
import { canRunGateway, checkGatewayPrerequisites, type DoctorReport } from "../gateway/doctor.ts";
import { inTransaction } from "./context.ts";
import type { Env } from "./env.ts";
import { buildApp } from "./http/app.ts";
import { type MailCapture, startMailCapture } from "./integrations/mail/capture.ts";
import { type DevInbox, startDevInbox } from "./integrations/mail/inbox.routes.ts";
import {
  requestedAppPermissions,
  requiredDelegatedScopes,
} from "./integrations/microsoft/config.ts";
import { startWorker } from "./jobs/worker.ts";
import { type LocalGateway, startLocalGateway } from "./local-gateway.ts";
import { createLogger, createServices, publicUrlOf, type Role, webRoot } from "./main.ts";
import { operatorSetup, seedOperatorOnFirstStart } from "./modules/accounts/index.ts";
import type { Services } from "./services.ts";

export interface RunningProcess {
  services: Services;
  app: FastifyInstance | null;
  capture: MailCapture | null;
  /** The dev inbox on its own loopback port (the `mail` role, never in production). */
  inbox: DevInbox | null;
  /** The bundled Microsoft emulator (the `emulator` role). */
  emulator: Emulator | null;
  /** The local gateway node and the demo PBX (the `gateway` role, development only). */
  gateway: LocalGateway | null;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the given roles in this process. With every role and no DATABASE_URL this is the
 * embedded default: PGlite in DATA_DIR, the mail capture, the API with the web app and the worker.
 */
export async function startProcess(
  env: Env,
  roles: Role[],
  options: { quiet?: boolean } = {},
): Promise<RunningProcess> {
  const log = createLogger(env);
  const capture =
    roles.includes("mail") && !env.SMTP_URL
      ? await startMailCapture({
          port: env.MAIL_CAPTURE_PORT,
          dir: join(env.DATA_DIR, "mail"),
        }).catch((e: NodeJS.ErrnoException) => {
          throw new Error(
            e.code === "EADDRINUSE"
              ? `Port ${env.MAIL_CAPTURE_PORT} for the mail capture is in use; set MAIL_CAPTURE_PORT.`
              : e.message,
          );
        })
      : null;
  const inbox =
    capture && env.NODE_ENV !== "production"
      ? await startDevInbox(capture, env.MAIL_INBOX_PORT).catch(
          async (e: NodeJS.ErrnoException) => {
            await capture.close();
            throw new Error(
              e.code === "EADDRINUSE"
                ? `Port ${env.MAIL_INBOX_PORT} for the dev inbox is in use; set MAIL_INBOX_PORT.`
                : e.message,
            );
          },
        )
      : null;
  const publicUrl = publicUrlOf(env, env.PORT);
  const emulator = roles.includes("emulator")
    ? await startEmulatorRole(env, publicUrl).catch(async (e: Error) => {
        await inbox?.close();
        await capture?.close();
        throw e;
      })
    : null;
  // With the emulator and no Entra application configured, the platform talks to the emulator.
  const microsoftEnv =
    emulator && !env.MS_CLIENT_ID ? configureEmulatorApp(env, emulator, publicUrl) : {};
  // Likewise DNS: the emulator adapter writes to this emulator unless DNS_EMULATOR_URL names one.
  const dnsEnv =
    emulator && env.DNS_ADAPTER === "emulator" && !env.DNS_EMULATOR_URL
      ? configureEmulatorDns(emulator)
      : {};
  const services = await createServices(
    {
      ...env,
      ...microsoftEnv,
      ...dnsEnv,
      SMTP_URL: env.SMTP_URL ?? (capture ? `smtp://127.0.0.1:${capture.port}` : undefined),
    },
    {
      log,
      publicUrl,
      talksToEmulator:
        emulator !== null && { ...env, ...microsoftEnv }.MS_GRAPH_BASE === emulator.graphUrl,
    },
  );
  const operator = await inTransaction(services, operatorSetup, seedOperatorOnFirstStart);

  let app: FastifyInstance | null = null;
  if (roles.includes("api")) {
    app = await buildApp(services, { webRoot });
    await app.listen({ host: env.HOST, port: env.PORT });
  }
  if (roles.includes("worker")) await startWorker(services);

  // The local gateway is a development convenience: whatever keeps it from starting is one log
  // line and the banner's, never a reason for the portal not to run.
  const prerequisites = checkGatewayPrerequisites();
  let gateway: LocalGateway | null = null;
  let gatewayProblem: string | null = null;
  if (roles.includes("gateway") && env.NODE_ENV !== "production" && canRunGateway(prerequisites)) {
    try {
      if (!app) throw new Error("it needs the api role in the same process");
      gateway = await startLocalGateway(services, env, { apiUrl: localApiUrl(env, app) });
    } catch (e) {
      gatewayProblem = e instanceof Error ? e.message : String(e);
      log.warn(`Local gateway and demo PBX not started: ${gatewayProblem}`);
    }
  }

  const url = publicUrl;
  if (!options.quiet) {
    const lines = [
      "",
      `Teamgate is running (${roles.join(", ")}; database: ${services.database.kind === "pglite" ? `embedded PGlite in ${env.DATA_DIR}` : "PostgreSQL"})`,
      ...(app
        ? [
            `  Portal:     ${url}`,
            `  Enterprise admins (sign in with Microsoft): ${url}/enterprise/sign-in`,
            `  API docs:   ${url}/api/docs`,
          ]
        : []),
      ...(capture && inbox
        ? [
            `  Dev inbox:  ${inbox.url}/dev/mail  (this machine only; SMTP capture on port ${capture.port})`,
          ]
        : []),
      ...(emulator
        ? [
            `  Microsoft emulator: login ${emulator.loginUrl}, Graph ${emulator.graphUrl}/v1.0`,
            `    CA: ${emulator.caFile}${emulator.controlToken ? `  control token: ${emulator.controlToken}` : ""}`,
            ...(services.dns?.kind === "emulator"
              ? [`    DNS: TXT records at ${emulator.loginUrl}/_control/dns/txt?name=…`]
              : []),
            `    Demo Global Administrator: ${demoLogins.globalAdministrator.userPrincipalName} / ${demoLogins.globalAdministrator.password}`,
            `    Demo Teams Administrator:  ${demoLogins.teamsAdministrator.userPrincipalName} / ${demoLogins.teamsAdministrator.password}`,
          ]
        : []),
      gatewayLine(prerequisites, gateway, gatewayProblem),
      ...(operator
        ? [
            "",
            "  First operator login (shown once; you must change the password at first sign-in):",
            `    login:    ${operator.username}  (or ${operator.email})`,
            `    password: ${operator.password}`,
          ]
        : []),
      "",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  }

  return {
    services,
    app,
    capture,
    inbox,
    emulator,
    gateway,
    url,
    async stop() {
      // the gateway node releases its leases through the API: before the API closes
      await gateway?.stop();
      await app?.close();
      await services.boss.stop({ graceful: true, wait: true, timeout: 5000 });
      services.mailer.close();
      await services.teamsVoice?.close();
      await services.microsoft?.close();
      await services.dns?.close();
      await inbox?.close();
      await capture?.close();
      await emulator?.stop();
      await services.database.close();
    },
  };
}

/**
 * Starts the Microsoft emulator with its CA kept in DATA_DIR/emulator, seeds the demo tenant and,
 * when MS_CLIENT_ID/MS_CLIENT_SECRET are set, registers that application with the portal's callbacks.
 */
export async function startEmulatorRole(env: Env, publicUrl: string): Promise<Emulator> {
  const emulator = await startEmulator({
    host: env.HOST,
    loginPort: env.EMULATOR_LOGIN_PORT,
    graphPort: env.EMULATOR_GRAPH_PORT,
    dataDir: join(env.DATA_DIR, "emulator"),
    // As Microsoft: an admin consent takes a few seconds to reach tokens and Graph (the
    // registration shows "Finishing the connection…" meanwhile).
    propagation: { consentMs: 3000, roleAssignmentMs: 3000 },
    // Microsoft activates a derived trunk domain "up to 24 hours" after its user is licensed; the
    // demo waits two minutes so the portal's "activating" state can be seen.
    directRoutingActivationMs: 120_000,
  });
  if (env.MS_CLIENT_ID && env.MS_CLIENT_SECRET)
    emulator.control.registerApp({
      clientId: env.MS_CLIENT_ID,
      clientSecret: env.MS_CLIENT_SECRET,
      displayName: "Teamgate",
      appRoles: [...requestedAppPermissions],
      delegatedScopes: [...requiredDelegatedScopes],
      redirectUris: [
        `${publicUrl}${env.MS_REDIRECT_PATH}`,
        `${publicUrl}${env.MS_ADMIN_CONSENT_REDIRECT_PATH}`,
      ],
    });
  seedDemoTenant(emulator.control);
  return emulator;
}

/**
 * A development Entra application for the bundled emulator: its client id and secret are generated
 * once and kept in DATA_DIR/emulator/app.json, registered with the portal's two callback URLs, and
 * the Microsoft settings point at the emulator. Used only when MS_CLIENT_ID is not set.
 */
export function configureEmulatorApp(
  env: Env,
  emulator: Emulator,
  publicUrl: string,
): Pick<
  Env,
  "MS_CLIENT_ID" | "MS_CLIENT_SECRET" | "MS_LOGIN_BASE" | "MS_GRAPH_BASE" | "MS_CA_FILE"
> {
  const dir = join(env.DATA_DIR, "emulator");
  const file = join(dir, "app.json");
  let app: { clientId: string; clientSecret: string };
  if (existsSync(file)) {
    app = JSON.parse(readFileSync(file, "utf8")) as typeof app;
  } else {
    mkdirSync(dir, { recursive: true });
    app = { clientId: randomUUID(), clientSecret: randomBytes(32).toString("base64url") };
    writeFileSync(file, JSON.stringify(app), { mode: 0o600 });
  }
  emulator.control.registerApp({
    ...app,
    displayName: "Teamgate (development)",
    appRoles: [...requestedAppPermissions],
    delegatedScopes: [...requiredDelegatedScopes],
    redirectUris: [
      `${publicUrl}${env.MS_REDIRECT_PATH}`,
      `${publicUrl}${env.MS_ADMIN_CONSENT_REDIRECT_PATH}`,
    ],
  });
  return {
    MS_CLIENT_ID: app.clientId,
    MS_CLIENT_SECRET: app.clientSecret,
    MS_LOGIN_BASE: emulator.loginUrl,
    MS_GRAPH_BASE: emulator.graphUrl,
    MS_CA_FILE: emulator.caFile,
  };
}

/**
 * The emulator DNS settings for the emulator running in this process: its control API, its CA and
 * its control token. Used only with DNS_ADAPTER=emulator and no DNS_EMULATOR_URL.
 */
export function configureEmulatorDns(
  emulator: Emulator,
): Pick<Env, "DNS_EMULATOR_URL" | "DNS_EMULATOR_CA_FILE" | "DNS_EMULATOR_CONTROL_TOKEN"> {
  return {
    DNS_EMULATOR_URL: emulator.loginUrl,
    DNS_EMULATOR_CA_FILE: emulator.caFile,
    DNS_EMULATOR_CONTROL_TOKEN: emulator.controlToken ?? undefined,
  };
}

/** The API root on this machine for the local gateway node (loopback when the portal binds all). */
function localApiUrl(env: Env, app: FastifyInstance): string {
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : env.PORT;
  const host = ["0.0.0.0", "::", "localhost"].includes(env.HOST) ? "127.0.0.1" : env.HOST;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}/api/v1`;
}

/**
 * What the banner says of the gateway: the local gateway node and demo PBX when they run, why
 * not when they could not start, or the `apt-get install` line of the packages still missing.
 */
function gatewayLine(
  report: DoctorReport,
  gateway: LocalGateway | null,
  problem: string | null,
): string {
  if (gateway)
    return `  Gateway:    local gateway node on ${gateway.gatewayAddress} registering ${gateway.devices} demo users at the demo PBX on ${gateway.pbxAddress} (dev/pbx/kamailio.cfg)`;
  if (problem) return `  Gateway:    local gateway and demo PBX not started: ${problem}`;
  if (!canRunGateway(report))
    return `  Gateway:    not started (packages missing: ${report.installLine}; \`teamgate doctor\` lists them)`;
  return "  Gateway:    Kamailio is installed (`teamgate doctor`); the local gateway and demo PBX run with the `gateway` role in development";
}
