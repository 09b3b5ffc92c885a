import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pino, { type DestinationStream, type Logger } from "pino";
import { type Database, migrateDatabase, openPglite, openPostgres } from "./db/client.ts";
import type { Env } from "./env.ts";
import { dnsFromEnv } from "./integrations/dns/config.ts";
import type { Dns } from "./integrations/dns/port.ts";
import { createSmtpMailer, type Mailer } from "./integrations/mail/mailer.ts";
import { type Microsoft, microsoftFromEnv } from "./integrations/microsoft/port.ts";
import { teamsVoiceFromEnv } from "./integrations/teams-voice/from-env.ts";
import type { TeamsVoice } from "./integrations/teams-voice/port.ts";
import { startQueue } from "./jobs/queue.ts";
import { jobs } from "./jobs/registry.ts";
import { errorMessageForLog, serializeErrorForLog } from "./lib/log-errors.ts";
import type { Services } from "./services.ts";

/**
 * What a process runs. `mail`, `emulator` and `gateway` (the local gateway node and the demo PBX)
 * are development stand-ins: `gateway` never starts in production.
 */
export type Role = "api" | "worker" | "mail" | "emulator" | "gateway";
export const allRoles: Role[] = ["api", "worker", "mail", "emulator", "gateway"];

/** Paths in log lines that must never be printed (SPEC §6: secrets never logged). */
export const logRedactions = [
  "req.headers.cookie",
  "req.headers.authorization",
  'req.headers["x-csrf-token"]',
  "*.password",
  "*.passwordConfirm",
  "*.currentPassword",
  "*.newPassword",
  "*.token",
  "*.code",
  "*.sealedToken",
  "*.sealed",
];

/** The process's logger; `destination` is for tests that read what was logged. */
export function createLogger(env: Env, destination?: DestinationStream): Logger {
  return pino(
    {
      level: env.LOG_LEVEL,
      redact: { paths: logRedactions, censor: "[redacted]" },
      // A failed query's parameters (password hashes, tokens) never reach the log.
      serializers: { err: serializeErrorForLog },
      hooks: {
        logMethod(args, method) {
          const [first, second] = args as unknown[];
          if (first instanceof Error) {
            const message = typeof second === "string" ? second : errorMessageForLog(first);
            return method.apply(this, [{ err: first }, message, ...args.slice(2)] as never);
          }
          return method.apply(this, args);
        },
      },
    },
    destination,
  );
}

/**
 * The APP_SECRET, or for the embedded default a random one kept in the data directory so links
 * and sealed jobs survive a restart. Production must set APP_SECRET (env.ts enforces it).
 */
export function resolveSecret(env: Env): string {
  if (env.APP_SECRET) return env.APP_SECRET;
  const file = join(env.DATA_DIR, "app-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(env.DATA_DIR, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

export async function openDatabase(env: Env, log: Logger = createLogger(env)): Promise<Database> {
  return env.DATABASE_URL
    ? openPostgres(env.DATABASE_URL, 10, (e) =>
        log.warn({ err: e }, "idle database connection lost"),
      )
    : openPglite({ dataDir: env.DATA_DIR });
}

export function publicUrlOf(env: Env, port: number): string {
  return (env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, "");
}

export const webRoot = fileURLToPath(new URL("../../dist/web", import.meta.url));

/** Opens the database, migrates it and builds the services every role shares. */
export async function createServices(
  env: Env,
  options: {
    database?: Database;
    mailer?: Mailer;
    log?: Logger;
    publicUrl?: string;
    microsoft?: Microsoft | null;
    dns?: Dns | null;
    teamsVoice?: TeamsVoice | null;
    /** The Microsoft settings point at the bundled emulator (Teams voice then defaults to it). */
    talksToEmulator?: boolean;
  } = {},
): Promise<Services> {
  const log = options.log ?? createLogger(env);
  const database = options.database ?? (await openDatabase(env, log));
  await migrateDatabase(database);
  const boss = await startQueue(database, jobs, (e) => log.error({ err: e }, "job queue error"));
  const smtpUrl = env.SMTP_URL ?? `smtp://127.0.0.1:${env.MAIL_CAPTURE_PORT}`;
  const microsoft =
    options.microsoft !== undefined ? options.microsoft : microsoftFromEnv(env, log);
  return {
    env,
    database,
    db: database.db,
    boss,
    mailer: options.mailer ?? createSmtpMailer(smtpUrl, env.MAIL_FROM),
    microsoft,
    dns: options.dns !== undefined ? options.dns : dnsFromEnv(env),
    teamsVoice:
      options.teamsVoice !== undefined
        ? options.teamsVoice
        : teamsVoiceFromEnv(env, microsoft, {
            talksToEmulator: options.talksToEmulator ?? false,
            caPem: env.MS_CA_FILE ? readFileSync(env.MS_CA_FILE, "utf8") : undefined,
          }),
    log,
    secret: resolveSecret(env),
    publicUrl: options.publicUrl ?? publicUrlOf(env, env.PORT),
    now: () => new Date(),
  };
}
