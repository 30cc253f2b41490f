/**
 * Headless Chromium for the dashboard's end-to-end tests: Debian's /usr/bin/chromium driven by
 * playwright-core (never a downloaded browser), a page per test, the login form filled in, and
 * screenshots saved under test-artifacts/web/ (gitignored) for a person to look at.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pollUntil } from '@oxydra/testkit/helpers';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.OXYDRA_CHROMIUM ?? '/usr/bin/chromium';
/** Why the browser tests cannot run here, or undefined when they can. */
export const NO_BROWSER = existsSync(CHROMIUM)
  ? undefined
  : `no Chromium at ${CHROMIUM} (apt-get install chromium; CI installs it)`;

export const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/web/', import.meta.url));

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export async function launch(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    // Root in a container has no user namespaces for Chromium's own sandbox.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
}

export interface OpenPage {
  context: BrowserContext;
  page: Page;
  /** Console errors and failed requests the page saw (a clean page has none). */
  problems: string[];
}

/** A browser context for a file's tabs to share (see openPage). */
export function sharedContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: LAPTOP, acceptDownloads: true });
}

/**
 * A fresh tab (its own sessionStorage) on the dashboard, confirm() dialogs accepted: in a context
 * of its own, or in `browser`'s shared context (sharedContext) when given one. A tab's
 * sessionStorage is its own either way, and the dashboard keeps nothing in localStorage or
 * cookies; a shared context keeps the dashboard's scripts in its cache (compiled once, not once a
 * tab). Close a shared context's tab with its page, not its context.
 */
export async function openPage(
  browser: Browser | BrowserContext,
  url: string,
  viewport = LAPTOP,
): Promise<OpenPage> {
  const shared = !('newContext' in browser);
  const context = shared ? browser : await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  if (shared) await page.setViewportSize(viewport);
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(url);
  return { context, page, problems };
}

/** Fills in the login form and waits for the dashboard (its Log out button: the menu folds away on phones). */
export async function logIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('Gateway token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/** Goes to a page through the navigation (as a person would) and waits for its heading. */
export async function visit(page: Page, label: string, heading: string | RegExp = label): Promise<void> {
  const nav = page.getByRole('navigation', { name: 'Dashboard' });
  if (!(await nav.isVisible())) await page.getByRole('button', { name: 'Menu' }).click();
  await nav.getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/**
 * Waits until nothing on the page says "Loading …". Page conditions are polled with pollUntil,
 * not page.waitForFunction, whose string predicates the page's CSP (no eval) refuses.
 */
export async function settled(page: Page): Promise<void> {
  const loading = page.locator('main').getByText(/^Loading .*…$/);
  await pollUntil(async () => (await loading.count()) === 0, 'the page to load', { timeoutMs: 15_000 });
}

/** The whole page, or (fullPage false) what fits the window, as test-artifacts/web/<name>.png. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}
