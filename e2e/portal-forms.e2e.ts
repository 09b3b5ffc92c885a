import { rmSync } from "node:fs";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { field, launchBrowser, newPage, screenshot } from "./support/browser.ts";
import { firstLink, invitationCode, waitForMail } from "./support/mail.ts";
import {
  demoDataDir,
  type OperatorLogin,
  type RunningServer,
  startServer,
} from "./support/server.ts";
import {
  descriptionOf,
  pickOptions,
  rowOf,
  signIn,
  unnamedControls,
  waitForHeading,
  waitForPath,
  waitForToast,
} from "./support/ui.ts";

/** The password of every account of the demo data (src/server/db/seed/factories.ts). */
const demoPassword = "correct-horse-battery-staple";

/**
 * The visible text of what labels a control: its `<label>`, the elements of `aria-labelledby`, or
 * the legend of a fieldset. Mantine's required marker ("*") is part of it, hidden from the
 * accessibility tree, so accessible names never include it.
 */
function labelTextOf(control: Locator): Promise<string> {
  return control.evaluate((element) => {
    const labels = (element as HTMLInputElement).labels;
    if (labels && labels.length > 0) {
      return Array.from(labels, (l) => l.textContent ?? "").join(" ");
    }
    const labelledBy = element.getAttribute("aria-labelledby");
    if (labelledBy) {
      return labelledBy
        .split(/\s+/)
        .map((id) => document.getElementById(id)?.textContent ?? "")
        .join(" ");
    }
    return element.querySelector(":scope > legend")?.textContent ?? "";
  });
}

/** Fails unless every control is visibly marked required (its label ends with "*"). */
async function expectMarkedRequired(controls: Record<string, Locator>): Promise<void> {
  const unmarked: string[] = [];
  for (const [name, control] of Object.entries(controls)) {
    if (!/\*\s*$/.test(await labelTextOf(control))) unmarked.push(name);
  }
  expect(unmarked, "required controls without a visible required marker").toEqual([]);
}

/** Fails unless no control is marked required (optional fields carry no "*"). */
async function expectNotMarkedRequired(controls: Record<string, Locator>): Promise<void> {
  const marked: string[] = [];
  for (const [name, control] of Object.entries(controls)) {
    if (/\*\s*$/.test(await labelTextOf(control))) marked.push(name);
  }
  expect(marked, "optional controls marked required").toEqual([]);
}

/** The badges (Mantine) whose text is cut off: the label's content is wider than its box. */
function truncatedBadges(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>(".mantine-Badge-root, .mantine-Badge-label"))
      .filter((label) => label.scrollWidth > label.clientWidth + 1)
      .map((label) => label.textContent ?? ""),
  );
}

/**
 * A newcomer's walk through the portal's forms on the demo data (issue 7, "Portal defects"): what
 * a form shows is what the person typed, required fields are marked, errors reach screen readers,
 * and the pages show what was entered. Each step stands on its own.
 */
describe("portal forms, as a newcomer meets them", () => {
  let server: RunningServer;
  let browser: Browser;
  let operatorLogin: OperatorLogin;
  let dataDir: string;

  beforeAll(async () => {
    ({ dataDir, operator: operatorLogin } = await demoDataDir());
    server = await startServer({ dataDir });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir && !process.env.E2E_KEEP_DATA) rmSync(dataDir, { recursive: true, force: true });
  });

  /** A fresh browser context signed in as `login`, on its home page. */
  async function signedIn(login: string, password = demoPassword): Promise<Page> {
    const page = await newPage(browser);
    await signIn(page, server.url, login, password);
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    return page;
  }

  /** A fresh browser context signed in as the operator, whose first password is changed once. */
  async function operatorPage(): Promise<Page> {
    const page = await newPage(browser);
    await signIn(page, server.url, operatorLogin.username, operatorLogin.password);
    await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));
    if (new URL(page.url()).pathname === "/change-password") {
      const newPassword = "operator-passphrase-for-forms-1";
      await field(page, "Current password").fill(operatorLogin.password);
      await field(page, "New password").fill(newPassword);
      await field(page, "Confirm new password").fill(newPassword);
      await page.getByRole("button", { name: "Change password", exact: true }).click();
      await waitForPath(page, "/master-resellers");
      operatorLogin = { ...operatorLogin, password: newPassword };
    }
    return page;
  }

  /** Add Enterprise, filled validly except for the user limit. */
  async function fillEnterprise(page: Page, name: string, userLimit: string): Promise<Locator> {
    await page.goto(`${server.url}/enterprises/new`);
    await waitForHeading(page, "Add Enterprise");
    await field(page, "Enterprise name").fill(name);
    await field(page, "Enterprise admin e-mail").fill(
      `ga@${name.toLowerCase().replace(/\W+/g, "")}.example.com`,
    );
    await pickOptions(page, "SBC region(s)", ["US East 1"]);
    await page.getByRole("checkbox", { name: "SIP Trunk" }).check();
    const limit = field(page, "User limit");
    await limit.fill(userLimit);
    return limit;
  }

  it("shows the user limit as typed and refuses anything but a whole number of at least 1", async () => {
    const page = await signedIn("demo-northwind");
    for (const typed of ["-1", "1.5", "abc", "0"]) {
      const name = `Limit ${typed} Ltd`;
      const limit = await fillEnterprise(page, name, typed);
      expect(await limit.inputValue(), `shows "${typed}" as typed`).toBe(typed);
      await page.getByRole("button", { name: "Submit", exact: true }).click();
      await expect.poll(() => limit.getAttribute("aria-invalid"), { message: typed }).toBe("true");
      expect(await descriptionOf(limit)).toContain(
        "Enter a whole number of at least 1, or leave blank for unlimited",
      );
      expect(await limit.inputValue(), `still "${typed}" after Submit`).toBe(typed);
      expect(new URL(page.url()).pathname).toBe("/enterprises/new");
      if (typed === "-1") await screenshot(page, "forms-user-limit-refused");
    }
    // Nothing was created meanwhile.
    await page.goto(`${server.url}/enterprises?q=Limit`);
    await waitForHeading(page, "Enterprises");
    await page.getByText("No enterprises match").waitFor();

    // A whole number is saved as it is.
    await fillEnterprise(page, "Limit Twelve Ltd", "12");
    await page.getByRole("button", { name: "Submit", exact: true }).click();
    await waitForPath(page, "/enterprises");
    await waitForToast(page, "Enterprise Limit Twelve Ltd created");
    await page.context().close();
  });

  it("marks every required field of the forms, and only those", async () => {
    const reseller = await signedIn("demo-northwind");
    await reseller.goto(`${server.url}/enterprises/new`);
    await waitForHeading(reseller, "Add Enterprise");
    await reseller.getByRole("checkbox", { name: "PBX Connector" }).check();
    await expectMarkedRequired({
      "Enterprise name": field(reseller, "Enterprise name"),
      "Enterprise admin e-mail": field(reseller, "Enterprise admin e-mail"),
      "SBC region(s)": field(reseller, "SBC region(s)"),
      Services: reseller.getByRole("group", { name: "Services", exact: true }),
      "PBX types": reseller.getByRole("group", { name: "PBX types", exact: true }),
    });
    await expectNotMarkedRequired({
      "User limit": field(reseller, "User limit"),
      "Billing reference": field(reseller, "Billing reference"),
    });
    await screenshot(reseller, "forms-add-enterprise-required");
    await reseller.context().close();

    const operator = await operatorPage();
    await operator.goto(`${server.url}/regions`);
    await waitForHeading(operator, "SBC regions");
    await operator.getByRole("button", { name: "Add SBC region" }).first().click();
    const regionDialog = operator.getByRole("dialog", { name: "Add SBC region" });
    await expectMarkedRequired({
      Name: field(operator, "Name"),
      "Carrier trunk FQDN": field(operator, "Carrier trunk FQDN"),
      Status: field(operator, "Status"),
    });
    await regionDialog.getByRole("button", { name: "Cancel", exact: true }).click();
    await regionDialog.waitFor({ state: "hidden" });

    await operator.goto(`${server.url}/pbx-types`);
    await waitForHeading(operator, "PBX types");
    await operator.getByRole("button", { name: "Add PBX type" }).first().click();
    await operator.getByRole("dialog", { name: "Add PBX type" }).waitFor();
    await expectMarkedRequired({
      Name: field(operator, "Name"),
      Label: field(operator, "Label"),
      "Hosting type": field(operator, "Hosting type"),
    });
    await operator.context().close();
  });

  it("fills a PBX type's label from its name until the label is edited", async () => {
    const operator = await operatorPage();
    await operator.goto(`${server.url}/pbx-types`);
    await waitForHeading(operator, "PBX types");
    await operator.getByRole("button", { name: "Add PBX type" }).first().click();
    const dialog = operator.getByRole("dialog", { name: "Add PBX type" });
    const name = field(operator, "Name");
    const label = field(operator, "Label");
    await name.fill("Acme Cloud PBX");
    expect(await label.inputValue()).toBe("Acme Cloud PBX");
    await name.fill("Acme Cloud");
    expect(await label.inputValue()).toBe("Acme Cloud");
    // Once the person edits the label, the name no longer changes it.
    await label.fill("Acme (hosted)");
    await name.fill("Acme Cloud Voice");
    expect(await label.inputValue()).toBe("Acme (hosted)");
    await screenshot(operator, "forms-pbx-type-label");
    await dialog.getByRole("button", { name: "Add PBX type", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });
    await rowOf(operator, "PBX types", "Acme Cloud Voice").waitFor();
    await rowOf(operator, "PBX types", "Acme Cloud Voice")
      .getByText("Acme (hosted)", { exact: true })
      .waitFor();
    await operator.context().close();
  });

  it("names the remove button of each chosen SBC region", async () => {
    const page = await signedIn("demo-northwind");
    await page.goto(`${server.url}/enterprises/new`);
    await waitForHeading(page, "Add Enterprise");
    await pickOptions(page, "SBC region(s)", ["US East 1", "EU West 1"]);
    expect(await unnamedControls(page)).toEqual([]);
    await page.getByRole("button", { name: "Remove US East 1", exact: true }).click();
    await page.getByRole("button", { name: "Remove US East 1" }).waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Remove EU West 1", exact: true }).waitFor();
    await page.context().close();
  });

  it("shows the billing reference in the Enterprises list and on the enterprise's page, chips whole", async () => {
    const page = await signedIn("demo-northwind");
    await page.goto(`${server.url}/enterprises`);
    await waitForHeading(page, "Enterprises");
    const table = page.getByRole("table", { name: "Enterprises", exact: true });
    await table.getByRole("columnheader", { name: "Billing reference" }).waitFor();
    await rowOf(page, "Enterprises", "Northwind Customer 2")
      .getByText("CUST-1002", { exact: true })
      .waitFor();
    await table.getByText("PBX Connector", { exact: true }).first().waitFor();
    await screenshot(page, "forms-enterprises-list");
    expect(await truncatedBadges(page), "badges cut off in the Enterprises list").toEqual([]);
    // Narrower windows scroll the table rather than cut its chips.
    await page.setViewportSize({ width: 1024, height: 800 });
    expect(await truncatedBadges(page), "badges cut off at 1024 px").toEqual([]);
    await page.setViewportSize({ width: 1280, height: 800 });

    await rowOf(page, "Enterprises", "Northwind Customer 2")
      .getByRole("link", { name: "Northwind Customer 2", exact: true })
      .click();
    await waitForPath(page, /^\/enterprises\/[^/]+$/);
    await waitForHeading(page, "Northwind Customer 2");
    const details = page.getByRole("region", { name: "Details" });
    await details.getByText("Billing reference").waitFor();
    await details.getByText("CUST-1002", { exact: true }).waitFor();
    await screenshot(page, "forms-enterprise-page");
    expect(await truncatedBadges(page), "badges cut off on the enterprise's page").toEqual([]);
    await page.context().close();
  });

  /** The master reseller adds a reseller; resolves with its activation mail. */
  async function inviteReseller(master: Page, name: string, email: string) {
    await master.goto(`${server.url}/resellers/new`);
    await waitForHeading(master, "Add Reseller");
    await field(master, "Reseller name").fill(name);
    await field(master, "Preferred e-mail").fill(email);
    await master.getByRole("checkbox", { name: "SIP Trunk" }).check();
    await master.getByRole("button", { name: "Save", exact: true }).click();
    await waitForToast(master, `activation e-mail sent to ${email}`);
    return waitForMail(server.inboxUrl, email);
  }

  it("marks the Add Reseller form's required fields, and keeps the Resellers list's chips whole", async () => {
    const master = await signedIn("demo-master");
    await master.getByRole("link", { name: "Add Reseller" }).first().click();
    await waitForHeading(master, "Add Reseller");
    await expectMarkedRequired({
      "Reseller name": field(master, "Reseller name"),
      "Preferred e-mail": field(master, "Preferred e-mail"),
      Services: master.getByRole("group", { name: "Services", exact: true }),
    });
    await expectNotMarkedRequired({ "Billing reference": field(master, "Billing reference") });
    await master.goto(`${server.url}/resellers`);
    await waitForHeading(master, "Resellers");
    await master.getByText("PBX Connector", { exact: true }).first().waitFor();
    expect(await truncatedBadges(master), "badges cut off in the Resellers list").toEqual([]);
    await master.context().close();
  });

  it("fills the activation form's e-mail from the link and marks a mismatched password invalid", async () => {
    const master = await signedIn("demo-master");
    const email = "ops@litware-voice.example.com";
    const mail = await inviteReseller(master, "Litware Voice", email);
    await master.context().close();

    const page = await newPage(browser);
    await page.goto(firstLink(mail));
    await waitForHeading(page, "Activate your account");
    // The link already says who is invited: the e-mail is filled in, and can still be changed.
    expect(await field(page, "E-mail").inputValue()).toBe(email);

    await field(page, "Invitation code").fill(invitationCode(mail));
    await field(page, "Username").fill("litware-admin");
    await field(page, "Password").fill("litware-passphrase-1");
    await field(page, "Confirm password").fill("litware-passphrase-2");
    await page.getByRole("button", { name: "Activate account", exact: true }).click();
    const confirm = field(page, "Confirm password");
    await expect.poll(() => confirm.getAttribute("aria-invalid")).toBe("true");
    expect(await descriptionOf(confirm)).toContain("Passwords do not match");
    await screenshot(page, "forms-activation-password-mismatch");
    await confirm.fill("litware-passphrase-1");
    expect(await confirm.getAttribute("aria-invalid")).not.toBe("true");
    await page.context().close();
  });

  it("activating an account where another is signed in says so and offers to switch", async () => {
    const master = await signedIn("demo-master");
    const email = "ops@fabrikam-voice.example.com";
    // The master reseller's own browser opens the new reseller's activation mail.
    const mail = await inviteReseller(master, "Fabrikam Voice", email);
    await master.goto(firstLink(mail));
    await waitForHeading(master, "Activate your account");
    await field(master, "Invitation code").fill(invitationCode(mail));
    await field(master, "E-mail").fill(email);
    await field(master, "Username").fill("fabrikam-admin");
    await field(master, "Password").fill("fabrikam-passphrase-1");
    await field(master, "Confirm password").fill("fabrikam-passphrase-1");
    await master.getByRole("button", { name: "Activate account", exact: true }).click();
    await master
      .getByText(
        "Your account fabrikam-admin is activated. You are still signed in as demo-master.",
      )
      .waitFor();
    await screenshot(master, "forms-activated-while-signed-in");
    await master.getByRole("button", { name: "Sign in as fabrikam-admin", exact: true }).click();
    await waitForPath(master, "/sign-in");
    await master.getByText("Your account is active").waitFor();
    expect(await field(master, "E-mail or username").inputValue()).toBe("fabrikam-admin");
    await field(master, "Password").fill("fabrikam-passphrase-1");
    await master.getByRole("button", { name: "Sign in", exact: true }).click();
    await waitForPath(master, "/enterprises");
    await waitForHeading(master, "Enterprises");
    await master.context().close();
  });

  it("marks a refused password field invalid on the sign-in page", async () => {
    const page = await newPage(browser);
    await page.goto(`${server.url}/sign-in`);
    await field(page, "E-mail or username").fill("demo-northwind");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    const password = field(page, "Password");
    await expect.poll(() => password.getAttribute("aria-invalid")).toBe("true");
    expect(await descriptionOf(password)).not.toBe("");
    await page.context().close();
  });
});
