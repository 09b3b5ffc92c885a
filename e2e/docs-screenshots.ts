/**
 * Retakes the screenshots of the documentation (docs/screenshots/) from the demo data:
 *
 *   npm run build && npx tsx e2e/docs-screenshots.ts
 *
 * Not a test: it seeds a fresh data directory (`teamgate seed --demo`), starts the product on it,
 * signs in as a demo reseller, disables one enterprise so every status shows, opens an enterprise's
 * dashboard and its users configured for calling once the local gateway registered them (Kamailio
 * must be installed: `teamgate doctor`), and saves 1440x900 PNGs. The data directory is removed
 * afterwards.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { field, launchBrowser } from "./support/browser.ts";
import { freePort, repoRoot, startServer } from "./support/server.ts";
import {
  confirmDialog,
  pickOptions,
  rowAction,
  rowOf,
  signIn,
  waitForPath,
  waitForStatus,
} from "./support/ui.ts";

const demoPassword = "correct-horse-battery-staple";
const outDir = join(repoRoot, "docs/screenshots");

const dataDir = mkdtempSync(join(tmpdir(), "teamgate-docs-"));
try {
  // The local gateway's ports, free ones: the seed points the demo PBX location at its SIP port.
  const gatewayPorts = {
    DEMO_PBX_SIP_PORT: String(await freePort()),
    DEMO_PBX_RPC_PORT: String(await freePort()),
    LOCAL_GATEWAY_SIP_PORT: String(await freePort()),
    LOCAL_GATEWAY_RPC_PORT: String(await freePort()),
    LOCAL_GATEWAY_HEP_PORT: String(await freePort()),
  };
  execFileSync(process.execPath, ["--import", "tsx", "src/server/cli.ts", "seed", "--demo"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...gatewayPorts,
      DATA_DIR: dataDir,
      NODE_ENV: "development",
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const server = await startServer({ dataDir, env: gatewayPorts, gateway: true });
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${server.url}/sign-in`);
    await signIn(page, server.url, "demo-contoso", demoPassword);
    await waitForPath(page, "/enterprises");
    await field(page, "Search").waitFor();

    // Every status in one list: the demo has invited, registered and active enterprises.
    await rowAction(page, "Contoso Customer 4", "Disable");
    await confirmDialog(page, "Disable Contoso Customer 4?", "Disable");
    await waitForStatus(rowOf(page, "Enterprises", "Contoso Customer 4"), "Disabled");
    // No toast in the picture.
    await page.getByRole("button", { name: "Dismiss" }).click();
    await page.getByRole("alert").waitFor({ state: "detached" });
    await page.mouse.move(0, 899);

    mkdirSync(outDir, { recursive: true });
    const path = join(outDir, "enterprises.png");
    await page.screenshot({ path });
    process.stdout.write(`Saved ${path}\n`);

    // The enterprise page the reseller opens from the list: its dashboard and synced users.
    await rowOf(page, "Enterprises", "Contoso Customer 3")
      .getByRole("link", { name: "Contoso Customer 3", exact: true })
      .click();
    await page.getByRole("heading", { level: 1, name: "Contoso Customer 3" }).waitFor();
    await page.getByRole("region", { name: "Action items" }).waitFor();
    await page.mouse.move(0, 899);
    const dashboard = join(outDir, "enterprise-dashboard.png");
    await page.screenshot({ path: dashboard });
    process.stdout.write(`Saved ${dashboard}\n`);

    // Its users configured for calling, registered by the local gateway node at the demo PBX
    // (the `gateway` role: needs Kamailio, `teamgate doctor`). The list is read again until the
    // four show Registered.
    await pickOptions(page, "Calling", ["Configured"]);
    const users = page.getByRole("table", { name: "Users", exact: true });
    const deadline = Date.now() + 60_000;
    while ((await users.getByText("Registered", { exact: true }).count()) < 4) {
      if (Date.now() > deadline)
        throw new Error(`The demo users did not go Registered:\n${server.output()}`);
      await page.waitForTimeout(2_000);
      await page.reload();
      await users.waitFor();
    }
    // the Users section at the top, below the fixed header
    await page
      .getByRole("heading", { name: "Users", exact: true })
      .evaluate((heading) => heading.scrollIntoView({ block: "start" }));
    await page.evaluate(() => window.scrollBy(0, -90));
    await page.mouse.move(0, 899);
    const registered = join(outDir, "users-registered.png");
    await page.screenshot({ path: registered });
    process.stdout.write(`Saved ${registered}\n`);
  } finally {
    await browser.close();
    await server.stop();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
