#!/usr/bin/env node
import { Command, Option } from "commander";
import { migrateDatabase } from "./db/client.ts";
import { loadEnv } from "./env.ts";
import { allRoles, openDatabase, type Role } from "./main.ts";
import { createOperatorAdmin } from "./modules/accounts/index.ts";
import { startProcess } from "./start.ts";

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
    "Run Teamgate: by default every role in one process on the embedded database in ./data",
  )
  .addOption(
    new Option("--roles <roles>", "comma-separated roles to run").default(
      allRoles.join(","),
      "all",
    ),
  )
  .action(async (options: { roles: string }) => {
    const env = loadEnv();
    const roles = parseRoles(options.roles);
    const running = await startProcess(env, roles);
    const stop = async () => {
      await running.stop();
      process.exit(0);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
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
    const database = await openDatabase(env);
    await migrateDatabase(database);
    try {
      const login = await createOperatorAdmin(database.db, {
        email: options.email.trim().toLowerCase(),
        username: options.username.trim().toLowerCase(),
        name: options.name,
      });
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
      await database.close();
    }
  });

program
  .command("seed")
  .description("Fill the database with demo data (regions, PBX types, resellers, enterprises)")
  .option("--demo", "the demo data set", true)
  .action(async () => {
    const env = loadEnv();
    const database = await openDatabase(env);
    await migrateDatabase(database);
    const { seedDemo } = await import("./db/seed/demo.ts");
    const summary = await seedDemo(database.db);
    process.stdout.write(`${summary}\n`);
    await database.close();
  });

await program.parseAsync();
