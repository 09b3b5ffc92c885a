import type { Locator, Page } from "playwright-core";
import { field } from "./browser.ts";

/** Signs in on `/sign-in` with a login (e-mail or username) and password. */
export async function signIn(page: Page, baseUrl: string, login: string, password: string) {
  if (!new URL(page.url(), baseUrl).pathname.startsWith("/sign-in")) {
    await page.goto(`${baseUrl}/sign-in`);
  }
  await field(page, "E-mail or username").fill(login);
  await field(page, "Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** Waits until the page's path is exactly `pathname`. */
export function waitForPath(page: Page, pathname: string | RegExp): Promise<void> {
  return page.waitForURL((url) =>
    typeof pathname === "string" ? url.pathname === pathname : pathname.test(url.pathname),
  );
}

/** The level-1 heading of the page, once it reads `name`. */
export async function waitForHeading(page: Page, name: string | RegExp): Promise<Locator> {
  const heading = page.getByRole("heading", { level: 1, name });
  await heading.waitFor();
  return heading;
}

/** The row of the table named `table` (its aria-label) that contains `text`. */
export function rowOf(page: Page, table: string, text: string): Locator {
  return page
    .getByRole("table", { name: table, exact: true })
    .getByRole("row")
    .filter({ has: page.getByText(text, { exact: true }) });
}

/** Waits until `row` shows the status badge `status` ("Invited", "Disabled"…). */
export async function waitForStatus(row: Locator, status: string): Promise<void> {
  await row.getByText(status, { exact: true }).waitFor();
}

/** Opens the "⋮" menu of the row of `name` and picks `action`. */
export async function rowAction(page: Page, name: string, action: string): Promise<void> {
  await page.getByRole("button", { name: `Actions for ${name}`, exact: true }).click();
  await page.getByRole("menuitem", { name: action, exact: true }).click();
}

/** The labels of the actions the "⋮" menu of `name` offers (the menu is closed again). */
export async function rowActionLabels(page: Page, name: string): Promise<string[]> {
  await page.getByRole("button", { name: `Actions for ${name}`, exact: true }).click();
  const menu = page.getByRole("menu");
  await menu.waitFor();
  const labels = (await menu.getByRole("menuitem").allInnerTexts()).map((t) => t.trim());
  await page.keyboard.press("Escape");
  await menu.waitFor({ state: "hidden" });
  return labels;
}

/** Confirms the modal dialog titled `title` with its `confirm` button and waits for it to close. */
export async function confirmDialog(page: Page, title: string, confirm: string): Promise<void> {
  const dialog = page.getByRole("dialog", { name: title, exact: true });
  await dialog.waitFor();
  await dialog.getByRole("button", { name: confirm, exact: true }).click();
  await dialog.waitFor({ state: "hidden" });
}

/** The text of the elements that describe a control (`aria-describedby`): help and errors. */
export async function descriptionOf(control: Locator): Promise<string> {
  return control.evaluate((element) =>
    (element.getAttribute("aria-describedby") ?? "")
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.textContent ?? "")
      .join(" "),
  );
}

/**
 * Picks options of the (multi-)select labelled `label` by their visible names, then closes its
 * dropdown. By role: the open dropdown's listbox carries the same label as its combobox.
 */
export async function pickOptions(page: Page, label: string, options: string[]): Promise<void> {
  const combobox = page.getByRole("combobox", { name: label, exact: true });
  for (const option of options) {
    await combobox.click();
    const listbox = page.getByRole("listbox", { name: label, exact: true });
    await listbox.getByRole("option", { name: option, exact: true }).click();
  }
  await page.keyboard.press("Escape");
  await page.getByRole("listbox", { name: label, exact: true }).waitFor({ state: "hidden" });
}

/** Waits for a toast (Mantine notification) whose text contains `text`. */
export async function waitForToast(page: Page, text: string | RegExp): Promise<void> {
  await page.getByRole("alert").filter({ hasText: text }).first().waitFor();
}

const controlRoles = [
  "button",
  "checkbox",
  "combobox",
  "link",
  "listbox",
  "menuitem",
  "radio",
  "searchbox",
  "slider",
  "spinbutton",
  "switch",
  "textbox",
];

/**
 * The controls of the page that have no accessible name (from the accessibility tree, so a label,
 * aria-label or aria-labelledby all count), as their ARIA snapshot lines. Should be empty.
 */
export async function unnamedControls(page: Page): Promise<string[]> {
  const snapshot = await page.locator("body").ariaSnapshot();
  const unnamed = new RegExp(`^\\s*- (${controlRoles.join("|")})(\\s*\\[[^\\]]*\\])*\\s*:?\\s*$`);
  return snapshot.split("\n").filter((line) => unnamed.test(line));
}
