import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { demoLogins } from "../src/emulator/demo.ts";
import { enterpriseSignInFailureMessages } from "../src/shared/contracts/enterprise-portal.ts";
import { field, launchBrowser, newPage, screenshot, screenshotDir } from "./support/browser.ts";
import {
  firstLink,
  type InboxMessage,
  invitationCode,
  listMail,
  waitForMail,
} from "./support/mail.ts";
import { type RunningServer, startServer } from "./support/server.ts";
import {
  confirmDialog,
  descriptionOf,
  pickOptions,
  rowAction,
  rowActionLabels,
  rowOf,
  signIn,
  unnamedControls,
  waitForHeading,
  waitForPath,
  waitForStatus,
  waitForToast,
} from "./support/ui.ts";

/**
 * The provisioning journey of seeds 2 and 3, as new users would live it, one continuous story:
 * operator → master reseller → reseller → enterprise invitation, each persona in its own browser
 * context (own cookies), every mail read from the dev inbox. Screenshots: e2e/screenshots/provisioning-*.
 */
/**
 * "Sign in with Microsoft" on the enterprise sign-in page, then the emulator's sign-in form; a
 * consent screen, if Microsoft shows one, is accepted.
 */
async function microsoftSignIn(page: Page, login: string, password: string): Promise<void> {
  await page.getByRole("button", { name: "Sign in with Microsoft", exact: true }).click();
  await page.locator('input[name="login"]').waitFor();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="passwd"]').fill(password);
  await page.locator('input[name="passwd"]').press("Enter");
  const accept = page.locator('button[name="accept"]');
  const back = page.waitForURL((url) => url.pathname.startsWith("/enterprise")).then(() => false);
  const consent = accept.waitFor().then(() => true);
  // Whichever comes first; the other one's timeout must not surface as an unhandled rejection.
  back.catch(() => {});
  consent.catch(() => {});
  if (await Promise.race([back, consent])) await accept.click();
}

describe("provisioning journey: operator → master reseller → reseller → enterprise", () => {
  let server: RunningServer;
  let browser: Browser;
  let operator: Page;
  let master: Page;
  let reseller: Page;
  let enterpriseAdmin: Page;
  /** The Global Administrator after registering: signed in to the enterprise portal. */
  let tenantAdmin: Page;

  const operatorPassword = "operator-passphrase-for-e2e-1";
  const masterCo = {
    company: "Skyline Communications",
    adminName: "Morgan Master",
    email: "morgan@skyline.example.com",
    username: "morgan.master",
    password: "master-passphrase-for-e2e-2",
  };
  const resellerCo = {
    name: "Northwind Telecom",
    email: "ops@northwind.example.com",
    billingReference: "NW-0001",
    username: "northwind-admin",
    password: "reseller-passphrase-for-e2e-3",
  };
  const enterprise = {
    name: "Contoso Ltd",
    adminEmail: "ga@contoso.example.com",
    userLimit: "25",
    billingReference: "CONTOSO-42",
  };
  const codeFormat = /^[A-Z0-9]{4}-[A-Z0-9]{4}$/;

  let shot = 0;
  /** A full-page screenshot from the top (a scrolled page would show its fixed header mid-way). */
  const snap = async (page: Page, name: string) => {
    await page.evaluate(() => window.scrollTo(0, 0));
    const path = await screenshot(page, `provisioning-${String(++shot).padStart(2, "0")}-${name}`);
    // Every control on every page of the journey has an accessible name.
    expect(await unnamedControls(page), `unnamed controls on ${page.url()}`).toEqual([]);
    return path;
  };

  let firstInvitation: InboxMessage;
  /** The demo tenant's id in Microsoft 365 (read from the dashboard in step 20). */
  let tenantId = "";

  beforeAll(async () => {
    // This run's screenshots only (the numbering would otherwise interleave with a previous run's).
    for (const name of existsSync(screenshotDir) ? readdirSync(screenshotDir) : []) {
      if (name.startsWith("provisioning-")) rmSync(join(screenshotDir, name));
    }
    server = await startServer();
    browser = await launchBrowser();
    operator = await newPage(browser);
  });

  // One continuous story: once a step fails, the later ones would only fail in its wake.
  let broken = false;
  beforeEach((context) => {
    if (broken) context.skip("an earlier step of the journey failed");
  });
  afterEach(async (context) => {
    if (context.task.result?.state !== "fail") return;
    broken = true;
    // What each persona saw when the step failed.
    const personas = { operator, master, reseller, enterpriseAdmin, tenantAdmin };
    for (const [name, page] of Object.entries(personas)) {
      if (page && !page.isClosed()) await screenshot(page, `provisioning-failed-${name}`);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("1. the operator signs in with the printed one-time password and must change it", async () => {
    expect(server.operator, server.output()).not.toBeNull();
    const login = server.operator!;
    await operator.goto(server.url);
    await waitForPath(operator, "/sign-in");
    await signIn(operator, server.url, login.username, login.password);
    await waitForPath(operator, "/change-password");
    // Nothing else is reachable until the password is changed.
    await operator.getByText("Choose a new password to continue.").waitFor();
    await snap(operator, "operator-must-change-password");

    await field(operator, "Current password").fill(login.password);
    await field(operator, "New password").fill(operatorPassword);
    await field(operator, "Confirm new password").fill(operatorPassword);
    await operator.getByRole("button", { name: "Change password", exact: true }).click();
    await waitForPath(operator, "/master-resellers");
    await waitForHeading(operator, "Master resellers");
    await operator.getByText("No master resellers yet").waitFor();
    await snap(operator, "operator-home");
  });

  it("2. the operator adds two SBC regions, a default PBX type and a master reseller", async () => {
    const nav = operator.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "SBC regions" }).click();
    await waitForHeading(operator, "SBC regions");
    for (const region of [
      { name: "US East 1", fqdn: "use1.sbc.example.net" },
      { name: "US West 1", fqdn: "usw1.sbc.example.net" },
    ]) {
      await operator.getByRole("button", { name: "Add SBC region" }).first().click();
      const dialog = operator.getByRole("dialog", { name: "Add SBC region" });
      await field(operator, "Name").fill(region.name);
      await field(operator, "Carrier trunk FQDN").fill(region.fqdn);
      if (region.name === "US East 1") await snap(operator, "operator-add-sbc-region");
      await dialog.getByRole("button", { name: "Add region", exact: true }).click();
      await dialog.waitFor({ state: "hidden" });
      const row = rowOf(operator, "SBC regions", region.name);
      await row.getByText(region.fqdn, { exact: true }).waitFor();
      await waitForStatus(row, "Active");
    }
    await snap(operator, "operator-sbc-regions");

    await nav.getByRole("link", { name: "PBX types" }).click();
    await waitForHeading(operator, "PBX types");
    await operator.getByRole("button", { name: "Add PBX type" }).first().click();
    const pbxDialog = operator.getByRole("dialog", { name: "Add PBX type" });
    await field(operator, "Name").fill("Ringlogix");
    await field(operator, "Label").fill("Ringlogix");
    await operator.getByRole("checkbox", { name: "Default" }).check();
    await pbxDialog.getByRole("button", { name: "Add PBX type", exact: true }).click();
    await pbxDialog.waitFor({ state: "hidden" });
    await rowOf(operator, "PBX types", "Ringlogix").first().waitFor();
    await snap(operator, "operator-pbx-types");

    await nav.getByRole("link", { name: "Master resellers" }).click();
    await waitForHeading(operator, "Master resellers");
    await operator.getByRole("link", { name: "Add Master Reseller" }).first().click();
    await waitForPath(operator, "/master-resellers/new");
    await waitForHeading(operator, "Add Master Reseller");
    await field(operator, "Company name").fill(masterCo.company);
    await field(operator, "Admin name").fill(masterCo.adminName);
    await field(operator, "E-mail").fill(masterCo.email);
    await snap(operator, "operator-add-master-reseller");
    await operator.getByRole("button", { name: "Save", exact: true }).click();
    await waitForPath(operator, "/master-resellers");
    await waitForToast(operator, `invitation sent to ${masterCo.email}`);
    const row = rowOf(operator, "Master resellers", masterCo.company);
    await row.getByText(masterCo.email, { exact: true }).waitFor();
    await waitForStatus(row, "Invited");
    await snap(operator, "operator-master-resellers");
  });

  it("3. the activation mail arrives; the master reseller activates from it and signs in", async () => {
    const mail = await waitForMail(server.inboxUrl, masterCo.email);
    expect(mail.subject).toBe(`Activate your Teamgate account: ${masterCo.company}`);
    const code = invitationCode(mail);
    expect(code).toMatch(codeFormat);
    expect(firstLink(mail)).toMatch(new RegExp(`^${server.url}/activate\\?token=`));
    expect(mail.html).toContain(code);

    // The dev inbox, as a developer would look at it.
    await operator.goto(`${server.inboxUrl}/dev/mail`);
    await operator.getByRole("heading", { name: "Inbox" }).waitFor();
    await operator.getByRole("link", { name: mail.subject }).waitFor();
    await snap(operator, "dev-inbox");

    // The master reseller opens the mail and clicks Complete in its body.
    master = await newPage(browser);
    await master.goto(`${server.inboxUrl}/dev/mail`);
    await master.getByRole("link", { name: mail.subject }).click();
    await master.getByRole("heading", { name: mail.subject }).waitFor();
    const body = master.getByTitle("Message body").contentFrame();
    await body.getByText(code, { exact: true }).waitFor();
    await snap(master, "master-activation-mail");
    // The Complete button of the mail points at the activation page; open it as the top page.
    const complete = body.getByRole("link", { name: "Complete", exact: true });
    expect(await complete.getAttribute("href")).toBe(firstLink(mail));
    await master.goto(firstLink(mail));
    await waitForPath(master, "/activate");
    await waitForHeading(master, "Activate your account");
    await master.getByText(masterCo.company).first().waitFor();

    await field(master, "Invitation code").fill(code);
    await field(master, "E-mail").fill(masterCo.email);
    await field(master, "Username").fill(masterCo.username);
    await field(master, "Password").fill(masterCo.password);
    await field(master, "Confirm password").fill(masterCo.password);
    await snap(master, "master-activate");
    await master.getByRole("button", { name: "Activate account", exact: true }).click();
    await waitForPath(master, "/sign-in");
    await master.getByText("Your account is active").waitFor();

    await signIn(master, server.url, masterCo.username, masterCo.password);
    await waitForPath(master, "/resellers");
    await waitForHeading(master, "Resellers");
    await master.getByText("No resellers yet").waitFor();
    await snap(master, "master-home");

    // The operator's list now shows the master reseller as active.
    await operator.goto(`${server.url}/master-resellers`);
    await waitForStatus(rowOf(operator, "Master resellers", masterCo.company), "Active");
  });

  it('4. the master reseller clicks "Add Reseller", fills seed 2\'s fields and saves', async () => {
    await master.getByRole("link", { name: "Add Reseller" }).first().click();
    await waitForPath(master, "/resellers/new");
    await waitForHeading(master, "Add Reseller");
    await field(master, "Reseller name").fill(resellerCo.name);
    await field(master, "Preferred e-mail").fill(resellerCo.email);
    await master.getByRole("checkbox", { name: "PBX Connector" }).check();
    await master.getByRole("checkbox", { name: "SIP Trunk" }).check();
    await field(master, "Billing reference").fill(resellerCo.billingReference);
    await snap(master, "master-add-reseller");
    await master.getByRole("button", { name: "Save", exact: true }).click();
    await waitForPath(master, "/resellers");
    await waitForToast(master, `activation e-mail sent to ${resellerCo.email}`);
    const row = rowOf(master, "Resellers", resellerCo.name);
    await row.getByText(resellerCo.email, { exact: true }).waitFor();
    await row.getByText("PBX Connector", { exact: true }).waitFor();
    await row.getByText("SIP Trunk", { exact: true }).waitFor();
    await waitForStatus(row, "Invited");
    await snap(master, "master-resellers");
  });

  it("5. the reseller activates from its mail and lands on Enterprises", async () => {
    const mail = await waitForMail(server.inboxUrl, resellerCo.email);
    expect(mail.subject).toBe(`Activate your Teamgate account: ${resellerCo.name}`);
    expect(mail.text).toContain(masterCo.company);
    const code = invitationCode(mail);
    expect(code).toMatch(codeFormat);

    reseller = await newPage(browser);
    await reseller.goto(firstLink(mail));
    await waitForHeading(reseller, "Activate your account");
    await reseller.getByText(resellerCo.name).first().waitFor();
    await field(reseller, "Invitation code").fill(code);
    await field(reseller, "E-mail").fill(resellerCo.email);
    await field(reseller, "Username").fill(resellerCo.username);
    await field(reseller, "Password").fill(resellerCo.password);
    await field(reseller, "Confirm password").fill(resellerCo.password);
    await reseller.getByRole("button", { name: "Activate account", exact: true }).click();
    await waitForPath(reseller, "/sign-in");
    await reseller.getByText("Your account is active").waitFor();

    // Signs in with the e-mail this time; seed 3: "the first screen shown after login will be Enterprises".
    await signIn(reseller, server.url, resellerCo.email, resellerCo.password);
    await waitForPath(reseller, "/enterprises");
    await waitForHeading(reseller, "Enterprises");
    await reseller.getByText("No enterprises yet").waitFor();
    await snap(reseller, "reseller-home-enterprises");
  });

  it('6. the reseller clicks "Add Enterprise", fills every field and submits', async () => {
    await reseller.getByRole("link", { name: "Add Enterprise" }).first().click();
    await waitForPath(reseller, "/enterprises/new");
    await waitForHeading(reseller, "Add Enterprise");

    await field(reseller, "Enterprise name").fill(enterprise.name);
    await field(reseller, "Enterprise admin e-mail").fill(enterprise.adminEmail);
    await field(reseller, "User limit").fill(enterprise.userLimit);
    await field(reseller, "Billing reference").fill(enterprise.billingReference);
    await reseller.getByRole("checkbox", { name: "PBX music on hold" }).check();
    await reseller.getByRole("checkbox", { name: "Access SIP data" }).check();
    await reseller
      .getByRole("checkbox", { name: "Request consent for enterprise management" })
      .check();
    await pickOptions(reseller, "SBC region(s)", ["US East 1", "US West 1"]);

    // The PBX types appear only once the PBX service is selected (seed 3).
    const unassigned = reseller.getByRole("group", { name: "Unassigned PBX types" });
    const assigned = reseller.getByRole("group", { name: "Assigned PBX types" });
    await reseller.getByRole("checkbox", { name: "SIP Trunk" }).check();
    expect(await unassigned.count()).toBe(0);
    await reseller.getByRole("checkbox", { name: "PBX Connector" }).check();
    await unassigned.getByText("Ringlogix", { exact: true }).waitFor();
    await assigned.getByText("None assigned yet.").waitFor();
    await snap(reseller, "reseller-add-enterprise-pbx-types");
    await reseller.getByRole("button", { name: "Assign Ringlogix", exact: true }).click();
    await assigned.getByText("Ringlogix", { exact: true }).waitFor();
    await unassigned.getByText("Nothing left to assign.").waitFor();
    await snap(reseller, "reseller-add-enterprise-filled");

    await reseller.getByRole("button", { name: "Submit", exact: true }).click();
    await waitForPath(reseller, "/enterprises");
    await waitForToast(reseller, `invitation sent to ${enterprise.adminEmail}`);
    const row = rowOf(reseller, "Enterprises", enterprise.name);
    await row.getByText(enterprise.adminEmail, { exact: true }).waitFor();
    await row.getByText("PBX Connector", { exact: true }).waitFor();
    await row.getByText("SIP Trunk", { exact: true }).waitFor();
    await row.getByText("US East 1, US West 1", { exact: true }).waitFor();
    await waitForStatus(row, "Invited");
    // The row follows the invitation mail from queued to sent without a reload.
    await row.getByText(/^Invitation sent /).waitFor({ timeout: 30_000 });
    await snap(reseller, "reseller-enterprises");
  });

  it("7. the invitation mail holds a code and a Complete link that opens the next step", async () => {
    firstInvitation = await waitForMail(server.inboxUrl, enterprise.adminEmail);
    expect(firstInvitation.subject).toBe(
      `Invitation: connect ${enterprise.name} to Microsoft Teams`,
    );
    expect(firstInvitation.text).toContain(resellerCo.name);
    const code = invitationCode(firstInvitation);
    expect(code).toMatch(codeFormat);
    const link = firstLink(firstInvitation);
    expect(link).toMatch(new RegExp(`^${server.url}/complete\\?token=[^&\\s]{20,}$`));
    expect(firstInvitation.html).toContain(code);
    expect(firstInvitation.html).toContain(">Complete</a>");

    enterpriseAdmin = await newPage(browser);
    await enterpriseAdmin.goto(link);
    await waitForHeading(enterpriseAdmin, `Connect ${enterprise.name} to Microsoft Teams`);
    await enterpriseAdmin.getByText(`${resellerCo.name} invited ${enterprise.name}`).waitFor();

    // A mistyped code is refused next to the field.
    const codeField = field(enterpriseAdmin, "Invitation code");
    await codeField.fill("AAAA-AAAA" === code ? "BBBB-BBBB" : "AAAA-AAAA");
    await enterpriseAdmin.getByRole("button", { name: "Continue", exact: true }).click();
    await enterpriseAdmin.getByText("Code not accepted").waitFor();
    expect(await codeField.getAttribute("aria-invalid")).toBe("true");

    await codeField.fill(code);
    await enterpriseAdmin.getByRole("button", { name: "Continue", exact: true }).click();
    await waitForHeading(enterpriseAdmin, enterprise.name);
    await enterpriseAdmin.getByText("Your code is valid").waitFor();
    await enterpriseAdmin.getByText(enterprise.adminEmail, { exact: false }).waitFor();
    const microsoft = enterpriseAdmin.getByRole("button", { name: "Sign in with Microsoft" });
    await microsoft.waitFor();
    // The Microsoft rounds are wired: the button is enabled and says who must sign in.
    expect(await microsoft.isEnabled()).toBe(true);
    expect(await descriptionOf(microsoft)).toContain("Global Administrator");
    await snap(enterpriseAdmin, "enterprise-complete-next-step");
  });

  it("8. Edit, Disable, Enable and Resend invitation from the row menu", async () => {
    // Edit: every field entered in step 6 was saved; change the user limit and billing reference.
    expect(await rowActionLabels(reseller, enterprise.name)).toEqual([
      "Edit",
      "Resend invitation",
      "Disable",
    ]);
    await rowAction(reseller, enterprise.name, "Edit");
    await waitForPath(reseller, /^\/enterprises\/[^/]+\/edit$/);
    await waitForHeading(reseller, `Edit ${enterprise.name}`);
    expect(await field(reseller, "Enterprise name").inputValue()).toBe(enterprise.name);
    expect(await field(reseller, "Enterprise admin e-mail").inputValue()).toBe(
      enterprise.adminEmail,
    );
    expect(await field(reseller, "User limit").inputValue()).toBe(enterprise.userLimit);
    expect(await field(reseller, "Billing reference").inputValue()).toBe(
      enterprise.billingReference,
    );
    for (const name of [
      "PBX music on hold",
      "Access SIP data",
      "Request consent for enterprise management",
      "PBX Connector",
      "SIP Trunk",
    ]) {
      expect(await reseller.getByRole("checkbox", { name }).isChecked(), name).toBe(true);
    }
    await reseller
      .getByRole("group", { name: "Assigned PBX types" })
      .getByText("Ringlogix", { exact: true })
      .waitFor();
    await field(reseller, "User limit").fill("40");
    await field(reseller, "Billing reference").fill("CONTOSO-43");
    await snap(reseller, "reseller-edit-enterprise");
    await reseller.getByRole("button", { name: "Save", exact: true }).click();
    await waitForPath(reseller, "/enterprises");
    await waitForToast(reseller, `${enterprise.name} saved`);
    await rowAction(reseller, enterprise.name, "Edit");
    await waitForHeading(reseller, `Edit ${enterprise.name}`);
    expect(await field(reseller, "User limit").inputValue()).toBe("40");
    expect(await field(reseller, "Billing reference").inputValue()).toBe("CONTOSO-43");
    await reseller.getByRole("link", { name: "← Enterprises" }).click();
    await waitForPath(reseller, "/enterprises");

    // Disable (confirmed): the status shows it, and the Complete link stops working meanwhile.
    const row = rowOf(reseller, "Enterprises", enterprise.name);
    await rowAction(reseller, enterprise.name, "Disable");
    await reseller.getByRole("dialog", { name: `Disable ${enterprise.name}?` }).waitFor();
    await snap(reseller, "reseller-confirm-disable");
    await confirmDialog(reseller, `Disable ${enterprise.name}?`, "Disable");
    await waitForStatus(row, "Disabled");
    await snap(reseller, "reseller-enterprise-disabled");
    expect(await rowActionLabels(reseller, enterprise.name)).toEqual(["Edit", "Enable"]);
    await enterpriseAdmin.goto(firstLink(firstInvitation));
    await waitForHeading(enterpriseAdmin, "This invitation link cannot be used");

    // Enable (confirmed): back to invited.
    await rowAction(reseller, enterprise.name, "Enable");
    await confirmDialog(reseller, `Enable ${enterprise.name}?`, "Enable");
    await waitForStatus(row, "Invited");

    // Resend (confirmed): a second mail with a new code; the first link and code are void.
    await rowAction(reseller, enterprise.name, "Resend invitation");
    await confirmDialog(reseller, "Resend invitation?", "Resend invitation");
    await waitForToast(reseller, `Invitation sent to ${enterprise.adminEmail}`);
    const second = await waitForMail(server.inboxUrl, enterprise.adminEmail, {
      after: firstInvitation.id,
    });
    expect(await listMail(server.inboxUrl, enterprise.adminEmail)).toHaveLength(2);
    const newCode = invitationCode(second);
    expect(newCode).toMatch(codeFormat);
    expect(newCode).not.toBe(invitationCode(firstInvitation));
    expect(firstLink(second)).not.toBe(firstLink(firstInvitation));
    await waitForStatus(row, "Invited");
    await snap(reseller, "reseller-enterprise-resent");

    await enterpriseAdmin.goto(firstLink(firstInvitation));
    await waitForHeading(enterpriseAdmin, "This invitation link cannot be used");
    await snap(enterpriseAdmin, "enterprise-old-link-refused");

    await enterpriseAdmin.goto(firstLink(second));
    await waitForHeading(enterpriseAdmin, `Connect ${enterprise.name} to Microsoft Teams`);
    // The first code does not open the new link either.
    await field(enterpriseAdmin, "Invitation code").fill(invitationCode(firstInvitation));
    await enterpriseAdmin.getByRole("button", { name: "Continue", exact: true }).click();
    await enterpriseAdmin.getByText("Code not accepted").waitFor();
    await field(enterpriseAdmin, "Invitation code").fill(newCode);
    await enterpriseAdmin.getByRole("button", { name: "Continue", exact: true }).click();
    await enterpriseAdmin.getByText("Your code is valid").waitFor();
    await enterpriseAdmin.getByRole("button", { name: "Sign in with Microsoft" }).waitFor();
  });

  it("9. an admin e-mail used by another tier is refused next to the field", async () => {
    const mailsToMaster = (await listMail(server.inboxUrl, masterCo.email)).length;
    await reseller.getByRole("link", { name: "Add Enterprise" }).first().click();
    await waitForHeading(reseller, "Add Enterprise");
    await field(reseller, "Enterprise name").fill("Fabrikam Inc");
    // The master reseller's login, in another letter case.
    const taken = masterCo.email.toUpperCase().replace("@SKYLINE", "@Skyline");
    const email = field(reseller, "Enterprise admin e-mail");
    await email.fill(taken);
    await pickOptions(reseller, "SBC region(s)", ["US West 1"]);
    await reseller.getByRole("checkbox", { name: "SIP Trunk" }).check();
    await reseller.getByRole("button", { name: "Submit", exact: true }).click();

    await reseller.getByText("Not saved").waitFor();
    await expect.poll(() => email.getAttribute("aria-invalid")).toBe("true");
    expect(await descriptionOf(email)).toMatch(/already (in use|used)/i);
    // Focus goes to the field at fault so the user can fix it straight away.
    await expect.poll(() => email.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(new URL(reseller.url()).pathname).toBe("/enterprises/new");
    await snap(reseller, "reseller-duplicate-email-refused");

    // Nothing was created and nobody was mailed.
    await reseller.getByRole("link", { name: "← Enterprises" }).click();
    await waitForPath(reseller, "/enterprises");
    await rowOf(reseller, "Enterprises", enterprise.name).waitFor();
    expect(await rowOf(reseller, "Enterprises", "Fabrikam Inc").count()).toBe(0);
    await reseller.getByText("1 result").waitFor();
    expect(await listMail(server.inboxUrl, masterCo.email)).toHaveLength(mailsToMaster);
  });

  it("10. the Global Administrator signs in with Microsoft, consents twice and lands on the groups page", async () => {
    // The newest invitation (step 8 resent it; the inbox lists newest first); the demo tenant "Contoso".
    const [latest] = await listMail(server.inboxUrl, enterprise.adminEmail);
    if (!latest) throw new Error("no invitation mail");
    tenantAdmin = await newPage(browser, { ignoreHTTPSErrors: true });
    const admin = tenantAdmin;
    await admin.goto(firstLink(latest));
    await waitForHeading(admin, `Connect ${enterprise.name} to Microsoft Teams`);
    await field(admin, "Invitation code").fill(invitationCode(latest));
    await admin.getByRole("button", { name: "Continue", exact: true }).click();
    await admin.getByText("Your code is valid").waitFor();
    await admin.getByRole("button", { name: "Sign in with Microsoft" }).click();

    // Round 1 at the emulator: sign in, tick "Consent on behalf of your organization", Accept.
    await admin.locator('input[name="login"]').waitFor();
    await admin
      .locator('input[name="login"]')
      .fill(demoLogins.globalAdministrator.userPrincipalName);
    await admin.locator('input[name="passwd"]').fill(demoLogins.globalAdministrator.password);
    await admin.locator('input[name="passwd"]').press("Enter");
    await admin.locator('input[name="consent_on_behalf"]').check();
    await snap(admin, "enterprise-microsoft-consent-round-1");
    await admin.locator('button[name="accept"]').click();
    // Round 2: the tenant's admin consent screen for the application permissions, Accept.
    await admin.waitForURL(/\/v2\.0\/adminconsent/);
    await admin.locator('button[name="accept"]').waitFor();
    await snap(admin, "enterprise-microsoft-consent-round-2");
    await admin.locator('button[name="accept"]').click();
    // Microsoft takes a few seconds to apply the consent (the emulator, like Entra, makes the
    // new permissions effective after a delay): the page says so and goes on by itself.
    await waitForHeading(admin, "Finishing the connection with Microsoft…");
    await admin.getByRole("status").getByText("Keep this page open", { exact: false }).waitFor();
    await snap(admin, "enterprise-microsoft-finishing");

    // Registered and signed in to the enterprise portal: choosing the users to sync comes first.
    await waitForPath(admin, "/enterprise/groups");
    await waitForHeading(admin, "Manage user groups");
    await admin.getByText("Your organization is registered").waitFor();
    await admin.getByText("No group chosen: all users of your organization are synced.").waitFor();
    await admin.getByRole("checkbox", { name: "Support", exact: true }).waitFor();
    await snap(admin, "enterprise-registered-groups");

    await reseller.goto(`${server.url}/enterprises`);
    await waitForStatus(rowOf(reseller, "Enterprises", enterprise.name), "Registered");
  });

  it("11. the admin picks a group to sync, sees the dashboard, the sync and grants management consent", async () => {
    const admin = tenantAdmin;
    // The search narrows the tenant's groups by name; tick "Sales".
    await field(admin, "Search groups").fill("Sal");
    await admin
      .getByRole("checkbox", { name: "Support", exact: true })
      .waitFor({ state: "detached" });
    await admin.getByRole("checkbox", { name: "Sales", exact: true }).check();
    await admin.getByRole("button", { name: "Remove Sales", exact: true }).waitFor();
    expect(
      await admin.getByText("No group chosen: all users of your organization are synced.").count(),
    ).toBe(0);
    await snap(admin, "enterprise-groups-chosen");
    await admin.getByRole("button", { name: "Save and continue", exact: true }).click();

    // The dashboard: action items, the user sync, the management consent state.
    await waitForPath(admin, "/enterprise");
    await waitForHeading(admin, enterprise.name);
    const items = admin.getByRole("region", { name: "Action items" });
    await items.waitFor();
    expect(await items.getByRole("listitem").count()).toBeGreaterThan(0);
    const consentItem = items.getByRole("listitem").filter({
      has: admin.getByRole("button", { name: "Grant consent", exact: true }),
    });
    await consentItem.waitFor();
    await admin.getByText("Pending", { exact: true }).first().waitFor();
    const sync = admin.getByRole("region", { name: "User sync" });
    // The worker syncs the members of "Sales"; the dashboard polls until the run has finished.
    await sync.getByText("Succeeded", { exact: true }).waitFor({ timeout: 60_000 });
    await sync
      .getByText(/^\d+ seen · \d+ added · \d+ updated · \d+ removed$/)
      .first()
      .waitFor();
    await admin
      .getByRole("region", { name: "Recent activity" })
      .getByText("User groups changed")
      .first()
      .waitFor();
    await snap(admin, "enterprise-dashboard");

    // Grant consent, after a dialog that says what it allows.
    await consentItem.getByRole("button", { name: "Grant consent", exact: true }).click();
    const dialog = admin.getByRole("dialog", { name: "Grant management consent?", exact: true });
    await dialog.getByText("will be allowed to manage").waitFor();
    await snap(admin, "enterprise-confirm-grant-consent");
    await confirmDialog(admin, "Grant management consent?", "Grant consent");
    await admin.getByText("Granted", { exact: true }).first().waitFor();
    await items.getByRole("button", { name: "Revoke consent", exact: true }).waitFor();
    expect(await items.getByRole("button", { name: "Grant consent", exact: true }).count()).toBe(0);
    await snap(admin, "enterprise-dashboard-consent-granted");

    // The synced users and the activity, from the navigation.
    const nav = admin.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Users", exact: true }).click();
    await waitForPath(admin, "/enterprise/users");
    await waitForHeading(admin, "Users");
    await field(admin, "Search users").waitFor();
    await admin.getByRole("switch", { name: "Show removed users" }).waitFor();
    const users = admin.getByRole("table", { name: "Users", exact: true });
    await users.getByRole("row").nth(1).getByText("Active", { exact: true }).waitFor();
    await snap(admin, "enterprise-users");
    await pickOptions(admin, "Licence", ["Teams Phone"]);
    await expect.poll(() => new URL(admin.url()).searchParams.get("licence")).toBe("teams_phone");
    await users.getByRole("row").nth(1).getByText("Teams Phone", { exact: true }).waitFor();
    await nav.getByRole("link", { name: "Activity", exact: true }).click();
    await waitForHeading(admin, "Activity");
    await admin.getByText("Management consent granted").first().waitFor();
    await snap(admin, "enterprise-activity");

    // Each kind of session keeps to its own portal.
    await admin.goto(`${server.url}/enterprises`);
    await waitForPath(admin, "/enterprise");
    await reseller.goto(`${server.url}/enterprise/users`);
    await waitForPath(reseller, "/enterprises");
  });

  it("12. the reseller opens the enterprise from the list and sees it registered, consented and synced", async () => {
    await reseller.goto(`${server.url}/enterprises`);
    const row = rowOf(reseller, "Enterprises", enterprise.name);
    await waitForStatus(row, "Registered");
    await row.getByRole("link", { name: enterprise.name, exact: true }).click();
    await waitForPath(reseller, /^\/enterprises\/[^/]+$/);
    await waitForHeading(reseller, enterprise.name);
    await reseller.getByText("Registered", { exact: true }).first().waitFor();
    await reseller.getByText("Granted", { exact: true }).first().waitFor();
    const connection = reseller.getByRole("region", { name: "Microsoft 365 connection" });
    await connection.getByText("Contoso", { exact: true }).waitFor();
    // With management consent, the reseller may sync; never grant or revoke consent itself.
    await reseller.getByRole("button", { name: "Sync now", exact: true }).waitFor();
    expect(await reseller.getByRole("button", { name: "Grant consent" }).count()).toBe(0);
    expect(await reseller.getByRole("button", { name: "Revoke consent" }).count()).toBe(0);
    await reseller
      .getByRole("table", { name: "Users", exact: true })
      .getByRole("row")
      .nth(1)
      .getByText("Active", { exact: true })
      .waitFor();
    await snap(reseller, "reseller-enterprise-dashboard");
  });

  it("13. later, the enterprise admin signs in again through the enterprise sign-in page", async () => {
    const admin = tenantAdmin;
    await admin.goto(`${server.url}/enterprise`);
    await admin.getByRole("button", { name: /^Account menu for / }).click();
    await admin.getByRole("menuitem", { name: "Sign out", exact: true }).click();
    await waitForPath(admin, "/enterprise/sign-in");
    await admin.getByText("You have been signed out.").waitFor();
    // Signed out, the enterprise portal sends visitors to its sign-in page.
    await admin.goto(`${server.url}/enterprise/users`);
    await waitForPath(admin, "/enterprise/sign-in");

    // The portal's sign-in page points enterprise admins to theirs.
    await admin.goto(`${server.url}/sign-in`);
    await admin.getByText("Enterprise administrator?").waitFor();
    await admin.getByRole("link", { name: "Sign in with Microsoft", exact: true }).click();
    await waitForPath(admin, "/enterprise/sign-in");
    await waitForHeading(admin, "Sign in to your enterprise portal");
    await snap(admin, "enterprise-sign-in");

    await microsoftSignIn(
      admin,
      demoLogins.globalAdministrator.userPrincipalName,
      demoLogins.globalAdministrator.password,
    );
    await waitForPath(admin, "/enterprise");
    await waitForHeading(admin, enterprise.name);
    await admin.getByText("Granted", { exact: true }).first().waitFor();
  });

  it("14. a user of the tenant who is not an administrator is refused with the reason", async () => {
    const user = await newPage(browser, { ignoreHTTPSErrors: true });
    try {
      await user.goto(`${server.url}/enterprise/sign-in`);
      await waitForHeading(user, "Sign in to your enterprise portal");
      await microsoftSignIn(user, "adele.vance@contoso.onmicrosoft.com", demoLogins.userPassword);
      await waitForPath(user, "/enterprise/sign-in");
      expect(new URL(user.url()).searchParams.get("error")).toBe("not_enterprise_admin");
      await user
        .getByRole("alert")
        .getByText(enterpriseSignInFailureMessages.not_enterprise_admin)
        .waitFor();
      await snap(user, "enterprise-sign-in-refused");
      // Still anonymous: the portal's pages send it back to the sign-in page.
      await user.goto(`${server.url}/enterprise`);
      await waitForPath(user, "/enterprise/sign-in");
    } finally {
      await user.context().close();
    }
  });

  it("15. the enterprise admin sets up Direct Routing, watches its steps and sees a trunk per region; the reseller sees the enterprise active", async () => {
    // Microsoft activates a new derived trunk domain after a while (2 minutes in the dev emulator);
    // the journey does not wait for it.
    await server.emulatorControl("PUT", "/_control/direct-routing/activation-delay", { ms: 0 });
    const admin = tenantAdmin;
    await admin.goto(`${server.url}/enterprise`);
    await waitForHeading(admin, enterprise.name);
    const card = admin.getByRole("region", { name: "Direct Routing" });
    await card.getByText(/^Not set up yet/).waitFor({ timeout: 60_000 });
    // The button shows once the Teams Administrator role is in effect.
    const setUp = card.getByRole("button", { name: "Set up Direct Routing", exact: true });
    await setUp.waitFor({ timeout: 90_000 });
    await snap(admin, "direct-routing-ready");
    await setUp.click();
    await admin
      .getByRole("dialog", { name: "Set up Direct Routing?", exact: true })
      .getByText("Microsoft can take up to a day")
      .waitFor();
    await confirmDialog(admin, "Set up Direct Routing?", "Set up Direct Routing");
    await waitForToast(admin, "Direct Routing set-up started");
    const steps = card.getByRole("list", { name: "Steps of the Direct Routing set-up" });
    await steps.getByText("Verify the domains").waitFor();
    // The card polls while the run is live; every step ends Done.
    await expect
      .poll(async () => steps.getByText("Done", { exact: true }).count(), { timeout: 120_000 })
      .toBe(13);
    const trunks = card.getByRole("table", { name: "Derived trunks per SBC region" });
    const rows = trunks.getByRole("row");
    expect(await rows.count()).toBe(3);
    await rows.nth(1).getByText("Primary", { exact: true }).waitFor();
    await rows.nth(2).getByText("Failover 1", { exact: true }).waitFor();
    expect(await trunks.getByText("Activated", { exact: true }).count()).toBe(2);
    expect(await trunks.getByText("Active", { exact: true }).count()).toBe(2);
    // The rest of the dashboard follows: the action item done, the enterprise active.
    await admin
      .getByRole("region", { name: "Action items" })
      .getByText("Teams calls reach the PBX through the SBC regions.")
      .waitFor();
    await snap(admin, "direct-routing-done");

    await reseller.goto(`${server.url}/enterprises`);
    await waitForStatus(rowOf(reseller, "Enterprises", enterprise.name), "Active");
  });

  it("16. a voice route deleted in the Teams admin center shows as drift, and Repair puts it back", async () => {
    const admin = tenantAdmin;
    await admin.goto(`${server.url}/enterprise`);
    await waitForHeading(admin, enterprise.name);
    const tenantId = await admin
      .getByText(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
      .first()
      .textContent();
    // A Teams administrator deletes the route by hand.
    await server.emulatorControl("POST", `/_control/tenants/${tenantId}/admin-center`, {
      kind: "removeVoiceRoute",
      identity: "Teamgate",
    });
    const card = admin.getByRole("region", { name: "Direct Routing" });
    await card.getByRole("button", { name: "Check now", exact: true }).click();
    await card.getByText("The tenant differs from the set-up").waitFor({ timeout: 60_000 });
    const steps = card.getByRole("list", { name: "Steps of the Direct Routing set-up" });
    await steps.getByText("The voice route Teamgate is missing").waitFor();
    expect(await steps.getByText("Differs", { exact: true }).count()).toBe(1);
    await admin
      .getByRole("region", { name: "Action items" })
      .getByText(/^The tenant differs from the set-up/)
      .waitFor();
    await snap(admin, "direct-routing-drift");

    await card.getByRole("button", { name: "Repair", exact: true }).click();
    await confirmDialog(admin, "Repair Direct Routing?", "Repair");
    await waitForToast(admin, "Direct Routing is being repaired");
    await expect
      .poll(async () => steps.getByText("Done", { exact: true }).count(), { timeout: 120_000 })
      .toBe(13);
    const voice = (await server.emulatorControl(
      "GET",
      `/_control/tenants/${tenantId}/teams-voice`,
    )) as { voiceRoutes: { identity: string }[] };
    expect(voice.voiceRoutes.map((r) => r.identity)).toEqual(["Teamgate"]);
    // Read back again: the tenant matches the set-up.
    await card.getByRole("button", { name: "Check now", exact: true }).click();
    await card.getByText(/: the tenant matches the set-up\.$/).waitFor({ timeout: 60_000 });
  });

  it("17. the enterprise admin adds a PBX location: a wrong SIP domain is refused where it was typed", async () => {
    const admin = tenantAdmin;
    await admin.getByRole("navigation").getByRole("link", { name: "PBX locations" }).click();
    await waitForHeading(admin, "PBX locations");
    await admin.getByText("No PBX locations yet").waitFor();
    await admin.getByRole("button", { name: "Add PBX location" }).first().click();
    const dialog = admin.getByRole("dialog", { name: "Add PBX location" });
    await dialog.getByLabel(/^Location name/).fill("Head office");
    await dialog.getByLabel(/^SIP domain/).fill("sip:pbx.contoso.example");
    await dialog.getByRole("button", { name: "Add PBX location", exact: true }).click();
    // The server's field error shows under the field, which keeps what was typed.
    await dialog.getByText("Enter the domain only, without sip: or https://").waitFor();
    const sipDomain = dialog.getByLabel(/^SIP domain/);
    expect(await sipDomain.inputValue()).toBe("sip:pbx.contoso.example");
    // Focus lands on the field to fix, even though the form had scrolled past it.
    await expect
      .poll(() => sipDomain.evaluate((element) => element === document.activeElement))
      .toBe(true);
    await snap(admin, "pbx-location-refused");
    await dialog.getByLabel(/^SIP domain/).fill("pbx.contoso.example");
    await dialog.getByRole("button", { name: "Add PBX location", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });
    const row = rowOf(admin, "PBX locations", "Head office");
    await row.getByText("pbx.contoso.example").waitFor();
    await snap(admin, "pbx-locations");
  });

  it("18. the enterprise admin adds a range of phone numbers and sees them available", async () => {
    const admin = tenantAdmin;
    await admin.getByRole("navigation").getByRole("link", { name: "Phone numbers" }).click();
    await waitForHeading(admin, "Phone numbers");
    await admin.getByRole("button", { name: "Add numbers" }).first().click();
    const dialog = admin.getByRole("dialog", { name: "Add numbers" });
    await dialog.getByText("A range", { exact: true }).click();
    await dialog.getByLabel(/^From/).fill("+442079460100");
    await dialog.getByLabel(/^To/).fill("+442079460102");
    await dialog.getByText(/\b3 numbers\b/).waitFor();
    await dialog.getByRole("button", { name: "Add numbers", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });
    for (const number of ["+442079460100", "+442079460101", "+442079460102"])
      await rowOf(admin, "Phone numbers", number).getByText("Available").waitFor();
    await snap(admin, "phone-numbers");
  });

  it("19. the enterprise admin configures a synced user with Teams Phone as a PBX user and sees its calling", async () => {
    const admin = tenantAdmin;
    const nav = admin.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Users", exact: true }).click();
    await waitForHeading(admin, "Users");
    // Adele Vance is in the synced group "Sales", with a Teams Phone licence (the demo tenant).
    await field(admin, "Search users").fill("Adele");
    await pickOptions(admin, "Calling", ["Not configured"]);
    await expect
      .poll(() => new URL(admin.url()).searchParams.get("calling"))
      .toBe("not_configured");
    const listed = rowOf(admin, "Users", "Adele Vance");
    await listed.getByText("Not configured", { exact: true }).waitFor();
    await listed.getByRole("link", { name: "Adele Vance", exact: true }).click();
    await waitForPath(admin, /^\/enterprise\/users\/[^/]+$/);
    await waitForHeading(admin, "Adele Vance");
    const callingCard = admin.getByRole("region", { name: "Calling", exact: true });
    await callingCard.getByText("Not configured for calling").waitFor();
    await snap(admin, "user-not-configured");

    await callingCard.getByRole("button", { name: "Configure for calling", exact: true }).click();
    const dialog = admin.getByRole("dialog", { name: "Configure Adele Vance", exact: true });
    /** Picks an option of a select in the dialog (Escape would close the dialog itself). */
    const choose = async (label: string, option: string) => {
      await dialog.getByRole("combobox", { name: label, exact: true }).click();
      await admin
        .getByRole("listbox", { name: label, exact: true })
        .getByRole("option", { name: option, exact: true })
        .click();
    };
    expect(await dialog.getByRole("radio", { name: "PBX user", exact: true }).isChecked()).toBe(
      true,
    );
    // The only PBX location is chosen; the SIP user's hint names its domain.
    expect(
      await dialog.getByRole("combobox", { name: "PBX location", exact: true }).inputValue(),
    ).toBe("Head office");
    const sipUser = dialog.getByLabel(/^SIP user/);
    expect(await descriptionOf(sipUser)).toContain("@pbx.contoso.example");
    await choose("Voice route (SBC region)", "US East 1");
    await sipUser.fill("201@pbx.fabrikam.example");
    await choose("Phone number", "+442079460100");
    expect(await dialog.getByRole("switch", { name: "Use Teams voicemail" }).isChecked()).toBe(
      false,
    );
    expect(
      await dialog.getByRole("switch", { name: "Assign the default dial plan" }).isChecked(),
    ).toBe(true);
    await dialog.getByLabel(/^SIP auth ID/).fill("201");
    await dialog.getByLabel(/^SIP password/).fill("pbx-device-secret-201");
    await dialog.getByRole("button", { name: "Configure for calling", exact: true }).click();
    // The server's rule (the SIP user's domain is the location's) shows under the field, as typed.
    await dialog.getByText("Must end in @pbx.contoso.example", { exact: false }).waitFor();
    expect(await sipUser.inputValue()).toBe("201@pbx.fabrikam.example");
    await snap(admin, "user-configure-refused");
    await sipUser.fill("201@pbx.contoso.example");
    await dialog.getByRole("button", { name: "Configure for calling", exact: true }).click();
    await dialog.waitFor({ state: "hidden" });
    await waitForToast(admin, "Adele Vance configured for calling");

    // The configuration as saved, and where its push to Teams stands.
    for (const text of [
      "PBX user",
      "Head office",
      "US East 1",
      "201@pbx.contoso.example",
      "+442079460100",
    ])
      await callingCard.getByText(text, { exact: true }).waitFor();
    await callingCard.getByRole("button", { name: "Edit", exact: true }).waitFor();
    await callingCard.getByRole("button", { name: "Change SIP password", exact: true }).waitFor();
    await callingCard.getByRole("button", { name: "Disable calling", exact: true }).waitFor();
    const status = admin.getByRole("region", { name: "Status", exact: true });
    await status
      .getByText(/^(In Teams|Pushing…|Waiting for an enterprise admin|Failed)$/)
      .first()
      .waitFor();
    await status.getByText("PBX registration", { exact: true }).waitFor();
    // No gateway node has registered the device yet: its history says so.
    const history = admin.getByRole("region", { name: "Registration history", exact: true });
    await history.getByText("No registration yet", { exact: true }).waitFor();
    await snap(admin, "user-configured");

    // A new SIP password, typed twice; a mismatch is caught before anything is sent.
    await callingCard.getByRole("button", { name: "Change SIP password", exact: true }).click();
    const password = admin.getByRole("dialog", { name: "Change SIP password", exact: true });
    await password.getByLabel(/^New SIP password/).fill("pbx-device-secret-202");
    await password.getByLabel(/^Confirm the new SIP password/).fill("pbx-device-secret-203");
    await password.getByRole("button", { name: "Change SIP password", exact: true }).click();
    await password.getByText("Does not match the new password").waitFor();
    await password.getByLabel(/^Confirm the new SIP password/).fill("pbx-device-secret-202");
    await password.getByRole("button", { name: "Change SIP password", exact: true }).click();
    await password.waitFor({ state: "hidden" });
    await waitForToast(admin, "Adele Vance's SIP password changed");

    // Disable calling (after a confirmation) and enable it again.
    await callingCard.getByRole("button", { name: "Disable calling", exact: true }).click();
    await confirmDialog(admin, "Disable calling for Adele Vance?", "Disable calling");
    await callingCard.getByText("Calling disabled", { exact: true }).waitFor();
    await callingCard.getByRole("button", { name: "Enable calling", exact: true }).click();
    await callingCard.getByText("Active", { exact: true }).waitFor();
    await callingCard.getByRole("button", { name: "Disable calling", exact: true }).waitFor();

    // Back in the list, the row carries the calling columns.
    await admin.getByRole("link", { name: "← Users", exact: true }).click();
    await waitForHeading(admin, "Users");
    await pickOptions(admin, "Calling", ["Configured"]);
    await field(admin, "Search users").fill("Adele");
    const configured = rowOf(admin, "Users", "Adele Vance");
    await configured.getByText("+442079460100", { exact: true }).waitFor();
    await configured.getByText("201@pbx.contoso.example", { exact: true }).waitFor();
    await configured.getByText("PBX user", { exact: true }).waitFor();
    await snap(admin, "users-calling");

    // The reseller (with management consent) opens the same user from the enterprise's page.
    await reseller.goto(`${server.url}/enterprises`);
    await rowOf(reseller, "Enterprises", enterprise.name)
      .getByRole("link", { name: enterprise.name, exact: true })
      .click();
    await waitForHeading(reseller, enterprise.name);
    await field(reseller, "Search users").fill("Adele");
    await rowOf(reseller, "Users", "Adele Vance")
      .getByRole("link", { name: "Adele Vance", exact: true })
      .click();
    await waitForPath(reseller, /^\/enterprises\/[^/]+\/users\/[^/]+$/);
    await waitForHeading(reseller, "Adele Vance");
    const providerCard = reseller.getByRole("region", { name: "Calling", exact: true });
    await providerCard.getByText("201@pbx.contoso.example", { exact: true }).waitFor();
    await providerCard.getByRole("button", { name: "Edit", exact: true }).click();
    const edit = reseller.getByRole("dialog", { name: "Edit calling of Adele Vance", exact: true });
    // The form shows the saved configuration, the enterprise's regions included.
    expect(
      await edit
        .getByRole("combobox", { name: "Voice route (SBC region)", exact: true })
        .inputValue(),
    ).toBe("US East 1");
    expect(await edit.getByLabel(/^SIP user/).inputValue()).toBe("201@pbx.contoso.example");
    expect(await descriptionOf(edit.getByLabel(/^SIP password/))).toContain(
      "Leave empty to keep it",
    );
    await snap(reseller, "reseller-user-edit");
    await edit.getByRole("button", { name: "Cancel", exact: true }).click();
    await edit.waitFor({ state: "hidden" });
  });

  it("20. the Teams side shows the number and policy within seconds", async () => {
    const admin = tenantAdmin;
    // Direct Routing is active since step 15, so Adele Vance's configuration is pushed at once.
    await admin.goto(`${server.url}/enterprise`);
    await waitForHeading(admin, enterprise.name);
    tenantId =
      (await admin
        .getByText(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
        .first()
        .textContent()) ?? "";
    expect(tenantId).not.toBe("");
    const adeleNumber = "+442079460100";
    const started = Date.now();
    /** Adele's number as Teams holds it, and the voice routing policy granted to its holder. */
    const teamsSide = async () => {
      const state = (await server.emulatorControl("GET", `/_control/tenants/${tenantId}`)) as {
        numberAssignments: {
          telephoneNumber: string;
          assignmentTargetId: string;
          activationState: string;
        }[];
      };
      const voice = (await server.emulatorControl(
        "GET",
        `/_control/tenants/${tenantId}/teams-voice`,
      )) as { grants: Record<string, { voiceRoutingPolicy?: string }> };
      const assignment = state.numberAssignments.find(
        (a) => a.telephoneNumber.replace(/^tel:/i, "") === adeleNumber,
      );
      return {
        activationState: assignment?.activationState ?? null,
        voiceRoutingPolicy: assignment
          ? (voice.grants[assignment.assignmentTargetId]?.voiceRoutingPolicy ?? null)
          : null,
      };
    };
    await expect
      .poll(teamsSide, { timeout: 10_000, interval: 250 })
      .toEqual({ activationState: "activated", voiceRoutingPolicy: "Teamgate" });
    expect(Date.now() - started).toBeLessThan(10_000);

    // The portal says so on the user's page.
    const nav = admin.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Users", exact: true }).click();
    await waitForHeading(admin, "Users");
    await field(admin, "Search users").fill("Adele");
    await rowOf(admin, "Users", "Adele Vance")
      .getByRole("link", { name: "Adele Vance", exact: true })
      .click();
    await waitForHeading(admin, "Adele Vance");
    await admin
      .getByRole("region", { name: "Status", exact: true })
      .getByText("In Teams", { exact: true })
      .first()
      .waitFor({ timeout: 30_000 });
    await snap(admin, "user-in-teams");
  });

  it("21. a 50-user CSV: 2 bad rows are reported and nothing applied; fixed, it is applied with progress and exports back", async () => {
    const admin = tenantAdmin;
    const count = 50;
    const pad = (i: number) => String(i + 1).padStart(2, "0");
    const bulk = Array.from({ length: count }, (_, i) => ({
      upn: `bulk.user${pad(i)}@contoso.onmicrosoft.com`,
      displayName: `Bulk User ${pad(i)}`,
      sipUser: `3${pad(i)}@pbx.contoso.example`,
      phoneNumber: `+4420794602${pad(i - 1)}`,
      sipAuthId: `3${pad(i)}`,
      password: `bulk-device-secret-3${pad(i)}`,
    }));

    // 51 configured users need a higher limit than step 8's 40: the reseller raises it.
    await reseller.goto(`${server.url}/enterprises`);
    await rowAction(reseller, enterprise.name, "Edit");
    await waitForHeading(reseller, `Edit ${enterprise.name}`);
    await field(reseller, "User limit").fill("100");
    await reseller.getByRole("button", { name: "Save", exact: true }).click();
    await waitForToast(reseller, `${enterprise.name} saved`);

    // 50 Teams Phone users join the synced group "Sales" in Microsoft 365; the admin syncs them.
    for (const u of bulk)
      await server.emulatorControl("POST", `/_control/tenants/${tenantId}/users`, {
        userPrincipalName: u.upn,
        displayName: u.displayName,
        password: "bulk-user-password-1",
        licenses: ["teams", "teamsPhone"],
        groups: ["Sales"],
      });
    await admin.goto(`${server.url}/enterprise`);
    await waitForHeading(admin, enterprise.name);
    const sync = admin.getByRole("region", { name: "User sync" });
    await sync.getByRole("button", { name: "Sync now", exact: true }).click();
    await sync.getByText(/ · 50 added · /).waitFor({ timeout: 60_000 });

    // 50 free numbers, as a range on the numbers page.
    const nav = admin.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Phone numbers" }).click();
    await waitForHeading(admin, "Phone numbers");
    await admin.getByRole("button", { name: "Add numbers" }).first().click();
    const add = admin.getByRole("dialog", { name: "Add numbers" });
    await add.getByText("A range", { exact: true }).click();
    await add.getByLabel(/^From/).fill("+442079460200");
    await add.getByLabel(/^To/).fill("+442079460249");
    await add.getByText(/\b50 numbers\b/).waitFor();
    await add.getByRole("button", { name: "Add numbers", exact: true }).click();
    await add.waitFor({ state: "hidden" });

    const header =
      "Teams user,SIP user,Phone number,Use Teams voicemail,SIP auth ID,Password,Forwarded DIDs";
    const line = (u: (typeof bulk)[number]) =>
      [u.upn, u.sipUser, u.phoneNumber, "no", u.sipAuthId, u.password, ""].join(",");
    const csvOf = (rows: string[]) => `${[header, ...rows].join("\r\n")}\r\n`;
    const good = bulk.map(line);
    // Line 12 (user 11): a malformed number; line 22 (user 21): user 20's SIP user again.
    const bad = [...good];
    bad[10] = line({ ...bulk[10]!, phoneNumber: "+44 20 7946 02 1O" });
    bad[20] = line({ ...bulk[20]!, sipUser: bulk[19]!.sipUser });

    await nav.getByRole("link", { name: "Users", exact: true }).click();
    await waitForHeading(admin, "Users");
    const upload = async (csv: string) => {
      await admin.getByRole("button", { name: "Upload users (CSV)", exact: true }).click();
      const dialog = admin.getByRole("dialog", { name: "Upload users (CSV)", exact: true });
      expect(await dialog.getByRole("radio", { name: "PBX users", exact: true }).isChecked()).toBe(
        true,
      );
      // The only PBX location is chosen once the locations have loaded.
      await expect
        .poll(() =>
          dialog.getByRole("combobox", { name: "PBX location", exact: true }).inputValue(),
        )
        .toBe("Head office");
      await dialog.getByRole("combobox", { name: "Voice route (SBC region)", exact: true }).click();
      await admin
        .getByRole("listbox", { name: "Voice route (SBC region)", exact: true })
        .getByRole("option", { name: "US East 1", exact: true })
        .click();
      await dialog.getByRole("link", { name: "Download a template", exact: true }).waitFor();
      await dialog.getByRole("link", { name: "Export current users", exact: true }).waitFor();
      await dialog.locator('input[type="file"]').setInputFiles({
        name: "users.csv",
        mimeType: "text/csv",
        buffer: Buffer.from(csv, "utf8"),
      });
      await dialog.getByRole("button", { name: "Upload", exact: true }).click();
      return dialog;
    };

    // The bad file: exactly its 2 rows are reported, and nothing was applied.
    const refused = await upload(csvOf(bad));
    await refused.getByText("Nothing was applied", { exact: true }).waitFor();
    await refused.getByText("The file has 2 problems; nothing was applied").waitFor();
    const report = refused.getByRole("table", { name: "Problems of the file", exact: true });
    const reported = (await report.getByRole("row").allInnerTexts()).slice(1);
    expect(reported).toHaveLength(2);
    expect(reported[0]).toMatch(/^12\s+Phone number\s+/);
    expect(reported[1]).toMatch(/^22\s+SIP user\s+.*is already on line \d+/);
    await snap(admin, "users-upload-refused");
    await refused.getByRole("button", { name: "Cancel", exact: true }).click();
    await refused.waitFor({ state: "hidden" });
    await field(admin, "Search users").fill("Bulk User");
    await pickOptions(admin, "Calling", ["Not configured"]);
    await admin.getByText("50 results", { exact: true }).waitFor();

    // Fixed, the file is applied: the progress bar runs to the end.
    const accepted = await upload(csvOf(good));
    await accepted.getByRole("progressbar", { name: "Users applied" }).waitFor();
    await accepted.getByText("50 users created, 0 updated").waitFor({ timeout: 60_000 });
    await accepted.getByText("50 of 50 users applied").waitFor();
    await snap(admin, "users-upload-done");
    await accepted.getByRole("button", { name: "Done", exact: true }).click();
    await accepted.waitFor({ state: "hidden" });
    await pickOptions(admin, "Calling", ["Configured"]);
    await admin.getByText("50 results", { exact: true }).waitFor();
    await rowOf(admin, "Users", "Bulk User 01")
      .getByText("+442079460200", { exact: true })
      .waitFor();
    await snap(admin, "users-bulk-configured");

    // "Export users (CSV)": the PBX users' file holds the uploaded rows, the password blank.
    await admin.getByRole("button", { name: "Export users (CSV)", exact: true }).click();
    const downloading = admin.waitForEvent("download");
    await admin.getByRole("menuitem", { name: "PBX users", exact: true }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe("pbx-users.csv");
    const stream = await download.createReadStream();
    let exported = "";
    for await (const chunk of stream) exported += String(chunk);
    const [exportedHeader, ...exportedRows] = exported.split(/\r?\n/).filter(Boolean);
    expect(exportedHeader).toBe(header);
    const expected = bulk.map((u) => line({ ...u, password: "" }));
    expect(exportedRows.filter((r) => r.startsWith("bulk.user")).sort()).toEqual(expected.sort());
    // Besides them, only Adele Vance of step 19.
    expect(exportedRows.filter((r) => !r.startsWith("bulk.user"))).toEqual([
      "adele.vance@contoso.onmicrosoft.com,201@pbx.contoso.example,+442079460100,no,201,,",
    ]);

    // The reseller's page of the enterprise offers the same upload and export.
    await reseller.goto(`${server.url}/enterprises`);
    await rowOf(reseller, "Enterprises", enterprise.name)
      .getByRole("link", { name: enterprise.name, exact: true })
      .click();
    await waitForHeading(reseller, enterprise.name);
    await reseller.getByRole("button", { name: "Export users (CSV)", exact: true }).waitFor();
    await reseller.getByRole("button", { name: "Upload users (CSV)", exact: true }).click();
    const providerUpload = reseller.getByRole("dialog", {
      name: "Upload users (CSV)",
      exact: true,
    });
    await providerUpload
      .getByRole("combobox", { name: "Voice route (SBC region)", exact: true })
      .click();
    await reseller
      .getByRole("listbox", { name: "Voice route (SBC region)", exact: true })
      .getByRole("option", { name: "US East 1", exact: true })
      .waitFor();
    await reseller.keyboard.press("Escape");
    await providerUpload.getByRole("button", { name: "Cancel", exact: true }).click();
    await providerUpload.waitFor({ state: "hidden" });
  });

  it("22. with Access SIP data on (step 6), the enterprise admin finds Calls in the menu; the reseller opens them from the enterprise", async () => {
    const admin = tenantAdmin;
    await admin.getByRole("link", { name: "Calls", exact: true }).click();
    await waitForHeading(admin, "Calls");
    await admin.getByText("No calls yet", { exact: true }).waitFor();
    // every filter is labelled
    for (const label of ["Caller or callee", "From (UTC)", "To (UTC)", "Direction", "Outcome"])
      expect(await admin.getByLabel(label, { exact: true }).count(), label).toBeGreaterThan(0);
    expect(await unnamedControls(admin)).toEqual([]);
    await snap(admin, "calls-empty");

    await reseller.goto(`${server.url}/enterprises`);
    await rowOf(reseller, "Enterprises", enterprise.name)
      .getByRole("link", { name: enterprise.name, exact: true })
      .click();
    await waitForHeading(reseller, enterprise.name);
    await reseller.getByRole("link", { name: "Calls", exact: true }).click();
    await waitForHeading(reseller, "Calls");
    await reseller.getByText("No calls yet", { exact: true }).waitFor();
  });
});
