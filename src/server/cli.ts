#!/usr/bin/env node
import { Command, Option } from "commander";
import { inTransaction } from "./context.ts";
import { migrateDatabase } from "./db/client.ts";
import { loadEnv } from "./env.ts";
import { allRoles, createServices, openDatabase, publicUrlOf, type Role } from "./main.ts";
import { createOperatorAdmin, operatorSetup } from "./modules/accounts/index.ts";
import { startEmulatorRole, startProcess } from "./start.ts";

const program = new Command()
  .name("teamgate")
  .description("Teamgate: connect a hosted PBX to Microsoft Teams")
  .showHelpAfterError();

function parseRoles(value: string): Role[] {
  const roles = value.split(",").map((r) => r.trim()) as Role[];
  const unknown = roles.filter((r) => !allRoles.includes(r));
  if (unknown.length)
    throw new Error(`Unknown role(s): ${unknown.join(", ")}. Known: ${allRoles.join(", ")}`);
  return roles;
}

program
  .command("start")
  .description(
    "Run Teamgate: by default every role in one process on the embedded database in ./data (api,worker in production)",
  )
  .addOption(
    new Option(
      "--roles <roles>",
      `comma-separated roles to run (${allRoles.join(", ")}); default: all, or api,worker when NODE_ENV=production`,
    ),
  )
  .action(async (options: { roles?: string }) => {
    const env = loadEnv();
    // The mail capture and the Microsoft emulator are development stand-ins: never by default in production.
    const roles = parseRoles(
      options.roles ?? (env.NODE_ENV === "production" ? "api,worker" : allRoles.join(",")),
    );
    const running = await startProcess(env, roles);
    const stop = async () => {
      await running.stop();
      process.exit(0);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });

program
  .command("emulator")
  .description(
    "Run only the Microsoft emulator (HTTPS login and Graph origins) with the demo tenant",
  )
  .action(async () => {
    const env = loadEnv();
    const emulator = await startEmulatorRole(env, publicUrlOf(env, env.PORT));
    const { demoLogins } = await import("../emulator/demo.ts");
    process.stdout.write(
      [
        "Microsoft emulator is running",
        `  Login (authority base): ${emulator.loginUrl}   e.g. ${emulator.loginUrl}/organizations`,
        `  Graph:                  ${emulator.graphUrl}/v1.0`,
        `  CA certificate:         ${emulator.caFile}   (trust it: NODE_EXTRA_CA_CERTS=${emulator.caFile})`,
        `  Control API:            ${emulator.loginUrl}/_control${emulator.controlToken ? `  (Authorization: Bearer ${emulator.controlToken})` : "  (no token on loopback)"}`,
        `  DNS (TXT records):       for Teamgate elsewhere: DNS_EMULATOR_URL=${emulator.loginUrl} DNS_EMULATOR_CA_FILE=${emulator.caFile}${emulator.controlToken ? " DNS_EMULATOR_CONTROL_TOKEN=<the control token>" : ""}`,
        "  Demo tenant Contoso:",
        `    Global Administrator: ${demoLogins.globalAdministrator.userPrincipalName} / ${demoLogins.globalAdministrator.password}`,
        `    Teams Administrator:  ${demoLogins.teamsAdministrator.userPrincipalName} / ${demoLogins.teamsAdministrator.password}`,
        `    Other users:          <first>.<last>@contoso.onmicrosoft.com / ${demoLogins.userPassword}`,
        env.MS_CLIENT_ID
          ? `  Registered application: ${env.MS_CLIENT_ID} (MS_CLIENT_ID)`
          : "  No application registered: set MS_CLIENT_ID and MS_CLIENT_SECRET.",
        "",
      ].join("\n"),
    );
    const stop = async () => {
      await emulator.stop();
      process.exit(0);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });

/** Microsoft's three Direct Routing SIP proxies, in failover order. */
const microsoftProxiesDefault = [1, 2, 3].map(
  (n) => `sip:sip${n === 1 ? "" : n}.pstnhub.microsoft.com:5061;transport=tls`,
);

program
  .command("gateway")
  .description(
    "Run a gateway node: its Kamailio, kept in step with the region through the gateway API (token in TEAMGATE_GATEWAY_TOKEN)",
  )
  .option(
    "--api <url>",
    "the API root, e.g. https://teamgate.example/api/v1",
    process.env.TEAMGATE_API_URL,
  )
  .option("--sip-address <ip>", "IP address Kamailio listens on for the PBXes", "127.0.0.1")
  .option("--sip-port <port>", "SIP port for the PBXes (UDP and TCP)", "5060")
  .option("--rpc-port <port>", "Kamailio's JSON-RPC port on 127.0.0.1", "5081")
  .option("--hep-port <port>", "UDP port on 127.0.0.1 where Kamailio mirrors SIP as HEP", "9060")
  .option(
    "--run-dir <dir>",
    "where the Kamailio files and the feed position are kept",
    "./data/gateway",
  )
  .option("--http-port <port>", "port of /healthz and /readyz", "8090")
  .option("--http-host <ip>", "address of /healthz and /readyz", "127.0.0.1")
  .option("--microsoft-address <ip>", "IP address of the TLS listener for Microsoft")
  .option("--microsoft-port <port>", "TLS port for Microsoft's SIP proxies", "5061")
  .option("--sbc-fqdn <fqdn>", "the node's SBC FQDN (covered by its certificate)")
  .option("--tls-cert <file>", "certificate chain (PEM) for the Microsoft side")
  .option("--tls-key <file>", "its private key (PEM)")
  .option("--tls-ca <file>", "CA bundle that verifies Microsoft's certificates (mutual TLS)")
  .option(
    "--tls-client-ca <file>",
    "CA bundle that verifies the servers the node connects to over TLS (Microsoft's proxies, PBXs)",
    "/etc/ssl/certs/ca-certificates.crt",
  )
  .option(
    "--pbx-tls-port <port>",
    "TLS port on --sip-address for PBXs reached over TLS (needs --tls-cert); their devices' Contact names it",
  )
  .option(
    "--microsoft-proxy <uri...>",
    "Microsoft SIP proxies in failover order",
    microsoftProxiesDefault,
  )
  .option("--rtp-ports <min-max>", "rtpengine's media port range", "30000-40000")
  .option(
    "--hold-music <file>",
    "music (WAV) played on hold when the PBX plays none; default: the built-in music",
  )
  .option("--no-rtpengine", "run no media relay (registrations only)")
  .option(
    "--dns-server <ip...>",
    "DNS servers (ip or ip:port) for the addresses of PBXes found by SRV or NAPTR; default: the system's",
  )
  .action(
    async (options: {
      api?: string;
      sipAddress: string;
      sipPort: string;
      rpcPort: string;
      hepPort: string;
      runDir: string;
      httpPort: string;
      httpHost: string;
      microsoftAddress?: string;
      microsoftPort: string;
      sbcFqdn?: string;
      tlsCert?: string;
      tlsKey?: string;
      tlsCa?: string;
      tlsClientCa: string;
      pbxTlsPort?: string;
      microsoftProxy: string[];
      rtpPorts: string;
      holdMusic?: string;
      rtpengine: boolean;
      dnsServer?: string[];
    }) => {
      const token = process.env.TEAMGATE_GATEWAY_TOKEN;
      if (!options.api) throw new Error("--api or TEAMGATE_API_URL is required");
      if (!token) throw new Error("TEAMGATE_GATEWAY_TOKEN is required");
      const { startGatewayAgent } = await import("../gateway/agent.ts");
      const { serveAgentHealth } = await import("../gateway/health-server.ts");
      const { resolve } = await import("node:path");
      const { MICROSOFT_SIGNALLING_NETWORKS } = await import("../gateway/kamailio/render.ts");
      const tlsFiles = [options.tlsCert, options.tlsKey, options.tlsCa];
      if (options.microsoftAddress && tlsFiles.some((file) => !file))
        throw new Error("--microsoft-address needs --tls-cert, --tls-key and --tls-ca");
      if (options.pbxTlsPort && !options.microsoftAddress)
        throw new Error(
          "--pbx-tls-port needs the node's certificate: --microsoft-address and --tls-*",
        );
      const [portMin, portMax] = options.rtpPorts.split("-").map(Number);
      if (!portMin || !portMax) throw new Error("--rtp-ports must read like 30000-40000");
      const agent = startGatewayAgent({
        apiUrl: options.api,
        token,
        sipAddress: options.sipAddress,
        sipPort: Number(options.sipPort),
        rpcPort: Number(options.rpcPort),
        hepPort: Number(options.hepPort),
        runDir: options.runDir,
        ...(options.pbxTlsPort ? { pbxTlsPort: Number(options.pbxTlsPort) } : {}),
        ...(options.dnsServer ? { dnsServers: options.dnsServer } : {}),
        rtpengine: options.rtpengine
          ? {
              portMin,
              portMax,
              ...(options.holdMusic ? { holdMusic: resolve(options.holdMusic) } : {}),
            }
          : null,
        kamailio: {
          microsoftProxies: options.microsoftProxy.map((uri) => ({ uri })),
          ...(options.sbcFqdn
            ? { aliases: [options.sbcFqdn], optionsFromHost: options.sbcFqdn }
            : {}),
          microsoft:
            options.microsoftAddress && options.tlsCert && options.tlsKey && options.tlsCa
              ? {
                  address: options.microsoftAddress,
                  port: Number(options.microsoftPort),
                  tls: {
                    certificatePath: resolve(options.tlsCert),
                    privateKeyPath: resolve(options.tlsKey),
                    caListPath: resolve(options.tlsCa),
                    clientCaListPath: resolve(options.tlsClientCa),
                    requireClientCertificate: true,
                    configPath: resolve(options.runDir, "tls.cfg"),
                  },
                  networks: [...MICROSOFT_SIGNALLING_NETWORKS],
                }
              : null,
        },
      });
      const server = await serveAgentHealth(agent, Number(options.httpPort), options.httpHost);
      process.stdout.write(
        `Gateway node running: SIP ${options.sipAddress}:${options.sipPort}, probes on http://${options.httpHost}:${options.httpPort}/readyz\n`,
      );
      const stop = async () => {
        server.close();
        await agent.stop();
        process.exit(0);
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    },
  );

program
  .command("doctor")
  .description(
    "List what a gateway node needs (Kamailio, its modules, rtpengine) and what is missing",
  )
  .action(async () => {
    const { checkGatewayPrerequisites, formatDoctorReport } = await import("../gateway/doctor.ts");
    const report = checkGatewayPrerequisites();
    process.stdout.write(formatDoctorReport(report));
    if (report.missing.some((m) => !m.what.startsWith("sipp"))) process.exitCode = 1;
  });

program
  .command("migrate")
  .description("Apply pending database migrations and exit")
  .action(async () => {
    const env = loadEnv();
    const database = await openDatabase(env);
    await migrateDatabase(database);
    await database.close();
    process.stdout.write("Database is up to date.\n");
  });

program
  .command("create-operator")
  .description("Create an operator admin; prints its one-time password once")
  .requiredOption("--email <email>", "login e-mail")
  .requiredOption("--username <username>", "login username")
  .option("--name <name>", "display name", "Operator admin")
  .action(async (options: { email: string; username: string; name: string }) => {
    const env = loadEnv();
    const services = await createServices(env);
    try {
      const login = await inTransaction(services, operatorSetup, (ctx) =>
        createOperatorAdmin(ctx, {
          email: options.email.trim().toLowerCase(),
          username: options.username.trim().toLowerCase(),
          name: options.name,
        }),
      );
      process.stdout.write(
        `Operator created.\n  login:    ${login.username} (or ${login.email})\n  password: ${login.password}\n  It must be changed at first sign-in; it is not shown again.\n`,
      );
    } catch (e) {
      const fields = (e as { fields?: Record<string, string> }).fields;
      process.stderr.write(
        `Could not create the operator: ${
          fields
            ? Object.entries(fields)
                .map(([k, v]) => `${k}: ${v}`)
                .join("; ")
            : (e as Error).message
        }\n`,
      );
      process.exitCode = 1;
    } finally {
      await services.boss.stop({ graceful: true, wait: true, timeout: 5000 });
      services.mailer.close();
      await services.microsoft?.close();
      await services.dns?.close();
      await services.database.close();
    }
  });

program
  .command("seed")
  .description(
    "Fill the database with demo data (regions, PBX types, resellers, enterprises, users configured at the demo PBX)",
  )
  .option("--demo", "the demo data set", true)
  .action(async () => {
    const env = loadEnv();
    const services = await createServices(env);
    try {
      const { seedDemo } = await import("./db/seed/demo.ts");
      const summary = await seedDemo(services, { pbxSipPort: env.DEMO_PBX_SIP_PORT });
      process.stdout.write(`${summary}\n`);
    } finally {
      await services.boss.stop({ graceful: true, wait: true, timeout: 5000 });
      services.mailer.close();
      await services.microsoft?.close();
      await services.dns?.close();
      await services.database.close();
    }
  });

await program.parseAsync();
