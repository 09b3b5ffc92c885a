import { rmSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { field, launchBrowser, newPage, screenshot } from "./support/browser.ts";
import { demoDataDir, type RunningServer, startServer } from "./support/server.ts";
import {
  confirmDialog,
  descriptionOf,
  rowAction,
  rowOf,
  signIn,
  unnamedControls,
  waitForHeading,
  waitForPath,
  waitForStatus,
} from "./support/ui.ts";

/**
 * The operator's gateway nodes of an SBC region (ADR 0019) on the demo data: add a node, see its
 * token once and use it, revoke the node, and see the token refused.
 */
describe("gateway nodes of an SBC region", () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  let token = "";
  let apiUrl = "";

  beforeAll(async () => {
    let operator: { username: string; password: string };
    ({ dataDir, operator } = await demoDataDir());
    server = await startServer({ dataDir });
    browser = await launchBrowser();
    page = await newPage(browser);
    await signIn(page, server.url, operator.username, operator.password);
    await waitForPath(page, "/change-password");
    const newPassword = "operator-passphrase-for-gateways-1";
    await field(page, "Current password").fill(operator.password);
    await field(page, "New password").fill(newPassword);
    await field(page, "Confirm new password").fill(newPassword);
    await page.getByRole("button", { name: "Change password", exact: true }).click();
    await waitForPath(page, "/master-resellers");
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir && !process.env.E2E_KEEP_DATA) rmSync(dataDir, { recursive: true, force: true });
  });

  const snapshotStatus = async (bearer: string) =>
    (await fetch(`${apiUrl}/gateway/snapshot`, { headers: { authorization: `Bearer ${bearer}` } }))
      .status;

  it("opens a region's gateway nodes from the SBC regions page, empty at first", async () => {
    await page.goto(`${server.url}/regions`);
    await waitForHeading(page, "SBC regions");
    await rowAction(page, "US East 1", "Gateway nodes");
    await waitForHeading(page, "Gateway nodes of US East 1");
    await page.getByText("No gateway nodes yet").waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    await screenshot(page, "gateway-nodes-empty");
  });

  it("adds a node and shows its token once, with the API URL", async () => {
    await page.getByRole("button", { name: "Add gateway node" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Add gateway node to US East 1" });
    await dialog.waitFor();
    await field(page, "Name").fill("sbc-use1-a");
    await dialog.getByRole("button", { name: "Add node", exact: true }).click();

    const shown = page.getByRole("dialog", { name: "Token of sbc-use1-a" });
    await shown.waitFor();
    token = await field(page, "Gateway token").inputValue();
    apiUrl = await field(page, "API URL").inputValue();
    expect(token).toMatch(/^gw\.gwn_[0-9a-z]{20}\.[A-Za-z0-9_-]{43}$/);
    expect(apiUrl).toBe(`${server.url}/api/v1`);
    expect(await field(page, "Gateway token").getAttribute("readonly")).not.toBeNull();
    await shown.getByRole("button", { name: "Copy gateway token" }).waitFor();
    await shown.getByText("This token cannot be shown again").waitFor();
    expect(await unnamedControls(page)).toEqual([]);
    await screenshot(page, "gateway-node-token");

    // The token the page showed is the node's credential on the API URL it showed.
    expect(await snapshotStatus(token)).toBe(200);

    await shown.getByRole("button", { name: "Done", exact: true }).click();
    await shown.waitFor({ state: "hidden" });
    const row = rowOf(page, "Gateway nodes", "sbc-use1-a");
    await waitForStatus(row, "Active");
    // The snapshot above made the node "seen".
    await page.reload();
    await waitForStatus(rowOf(page, "Gateway nodes", "sbc-use1-a"), "Active");
    await expect
      .poll(() => rowOf(page, "Gateway nodes", "sbc-use1-a").locator("time").count())
      .toBe(2);
    // The token is nowhere on the page any more.
    expect(await page.content()).not.toContain(token);
  });

  it("shows a name clash under Name", async () => {
    await page.getByRole("button", { name: "Add gateway node" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Add gateway node to US East 1" });
    await dialog.waitFor();
    const name = field(page, "Name");
    await name.fill("sbc-use1-a");
    await dialog.getByRole("button", { name: "Add node", exact: true }).click();
    await expect
      .poll(() => descriptionOf(name))
      .toContain("A gateway node of this region has this name");
    await screenshot(page, "gateway-node-name-in-use");
    await dialog.getByRole("button", { name: "Cancel", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });
  });

  it("revokes the node after a confirmation; its token is refused", async () => {
    const row = rowOf(page, "Gateway nodes", "sbc-use1-a");
    await row.getByRole("button", { name: "Revoke sbc-use1-a", exact: true }).click();
    await page
      .getByRole("dialog", { name: "Revoke sbc-use1-a?" })
      .getByText("its devices move to the region's other nodes")
      .waitFor();
    await confirmDialog(page, "Revoke sbc-use1-a?", "Revoke");
    await waitForStatus(row, "Revoked");
    expect(await row.getByRole("button", { name: /Revoke/ }).count()).toBe(0);
    await screenshot(page, "gateway-nodes-revoked");
    expect(await snapshotStatus(token)).toBe(401);
  });
});
