import type PgBoss from "pg-boss";
import type { Logger } from "pino";
import type { Database, Db } from "./db/client.ts";
import type { Env } from "./env.ts";
import type { Dns } from "./integrations/dns/port.ts";
import type { Mailer } from "./integrations/mail/mailer.ts";
import type { Microsoft } from "./integrations/microsoft/port.ts";
import type { TeamsVoice } from "./integrations/teams-voice/port.ts";

/** What commands, jobs and routes need from the running process; built once per process. */
export interface Services {
  env: Env;
  database: Database;
  db: Db;
  boss: PgBoss;
  mailer: Mailer;
  /** The Microsoft port; null when no Entra application is configured (MS_CLIENT_ID). */
  microsoft: Microsoft | null;
  /**
   * The DNS port (TXT records of the derived trunk domains): DNS_ADAPTER's adapter; null with the
   * emulator adapter and no emulator (DNS_EMULATOR_URL, or the `emulator` role in this process).
   */
  dns: Dns | null;
  /** Teams voice objects in customer tenants (Teams PowerShell or the emulator); null without Microsoft. */
  teamsVoice: TeamsVoice | null;
  log: Logger;
  /** Key material for keyed hashes and sealed values (APP_SECRET). */
  secret: string;
  /** Base URL for links in e-mails, without a trailing slash. */
  publicUrl: string;
  now(): Date;
}
