import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { field, launchBrowser, newPage, screenshot } from "./support/browser.ts";
import { type RunningServer, startServer } from "./support/server.ts";

/**
 * First sign-in of the operator, as a newcomer after `npm start`: the printed one-time password
 * works, the portal forces a password change, and the operator lands on its home page.
 */
describe("operator first sign-in", () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    page = await newPage(browser);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("prints a one-time operator login on first start", () => {
    expect(server.operator, server.output()).not.toBeNull();
  });

  it("sends an anonymous visitor to the sign-in page", async () => {
    await page.goto(server.url);
    await page.waitForURL(/\/sign-in/);
    await field(page, "E-mail or username").waitFor();
    await screenshot(page, "sign-in");
  });

  it("refuses a wrong password without leaving the page", async () => {
    await field(page, "E-mail or username").fill(server.operator!.username);
    await field(page, "Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByText("The login or password is not correct").first().waitFor();
    expect(new URL(page.url()).pathname).toBe("/sign-in");
  });

  it("signs in with the printed password and is made to change it", async () => {
    await field(page, "E-mail or username").fill(server.operator!.username);
    await field(page, "Password").fill(server.operator!.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL(/\/change-password/);
    await screenshot(page, "change-password");
  });

  it("changes the password and lands on the operator's home", async () => {
    const newPassword = "a-much-better-passphrase-42";
    await field(page, "Current password").fill(server.operator!.password);
    await field(page, "New password").fill(newPassword);
    await field(page, "Confirm new password").fill(newPassword);
    await page.getByRole("button", { name: "Change password", exact: true }).click();
    // The operator's home is the master resellers list (src/web/modules/auth/session.ts).
    await page.waitForURL((url) => url.pathname === "/master-resellers");
    await page.getByRole("navigation").first().waitFor();

    // The session the browser holds is the operator's and no longer needs a password change.
    const session = await page.request.get(`${server.url}/api/v1/auth/session`);
    expect(session.status()).toBe(200);
    const body = (await session.json()) as {
      account: { username: string; mustChangePassword: boolean };
      organization: { kind: string };
    };
    expect(body.account.username).toBe(server.operator!.username);
    expect(body.account.mustChangePassword).toBe(false);
    expect(body.organization.kind).toBe("operator");
    await screenshot(page, "operator-home");
  });

  it("keeps the operator signed in across a reload", async () => {
    const path = new URL(page.url()).pathname;
    await page.reload();
    await page.getByRole("navigation").first().waitFor();
    expect(new URL(page.url()).pathname).toBe(path);
  });
});
