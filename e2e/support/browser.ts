import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { repoRoot } from "./server.ts";

/** Debian's Chromium; the journeys never download a browser. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const screenshotDir = join(repoRoot, "e2e/screenshots");

/** Launches headless Debian Chromium with the flags that keep it quiet and offline. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A new page in a fresh context (own cookies) with a desktop viewport and 15 s step timeouts. */
export async function newPage(
  browser: Browser,
  options: { ignoreHTTPSErrors?: boolean } = {},
): Promise<Page> {
  // ignoreHTTPSErrors: for pages that visit the Microsoft emulator (its CA is not in Chromium's store).
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  // Fail a missing element in seconds rather than Playwright's default 30 s per step.
  page.setDefaultTimeout(15_000);
  return page;
}

/** Saves a full-page screenshot as `e2e/screenshots/<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string, dir = screenshotDir): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * The form control whose label is exactly `label`. Playwright matches label text including
 * Mantine's required marker (" *"), so `getByLabel(label, { exact: true })` would miss required
 * fields, and a substring match would confuse "Password" with "New password".
 */
export function field(page: Page, label: string): Locator {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return page.getByLabel(new RegExp(`^${escaped}(\\s*\\*)?$`));
}
