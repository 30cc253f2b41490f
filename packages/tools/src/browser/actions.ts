/**
 * The browser tools' code: each call runs against its session's page, under the action time
 * cap. A page that does not answer in time (a busy loop, a flood) has its context closed, so a
 * hostile page never holds the agent or the browser; a crashed page (past its heap cap) too.
 */

import { shownUrl, showUntrusted, type ToolContext, type ToolResult } from '@oxydra/types';
import type { Locator, Page } from 'playwright-core';
import type { ToolRun } from '../define.js';
import { parseHttpUrl } from '../web/safe-fetch.js';
import type { SavedDownload } from './downloads.js';
import type { BrowserHost, BrowserSession } from './host.js';
import { readPage } from './page-text.js';
import {
  type BrowserClickArgs,
  type BrowserOpenArgs,
  type BrowserScreenshotArgs,
  type BrowserTypeArgs,
  CLICK_ROLES,
} from './parameters.js';

const MAX_READ_CHARS = 12_000;
const MAX_SCREENSHOT_BYTES = 3 * 1024 * 1024;
/** How long an action waits for the page to settle (network quiet) before it reports. */
const SETTLE_MS = 3000;
const TEXT_ROLES = ['textbox', 'searchbox', 'combobox', 'spinbutton'] as const;

type Act<T> = (session: BrowserSession, signal: AbortSignal) => Promise<T>;

/**
 * The browser context a call uses: its session's; a turn without a session (a stateless HTTP or
 * chat turn) gets its user's, never one shared with other users, whose cookies, open page and
 * download folder it would otherwise see. Two namespaces, so no session name can pose as a user.
 */
const sessionOf = (context: Pick<ToolContext, 'sessionId' | 'userId'>): string =>
  context.sessionId !== undefined ? `session:${context.sessionId}` : `user:${context.userId ?? ''}`;

/** Runs `work` on the session's page within the action cap; a page past it is closed. */
async function act<T>(host: BrowserHost, context: ToolContext, work: Act<T>): Promise<T> {
  const id = sessionOf(context);
  const signal = context.signal;
  let session = await host.session(id, context.workspace);
  if (session.broken !== undefined) {
    const why = session.broken;
    await host.closeSession(id, true);
    throw new Error(why);
  }
  const seconds = Math.round(host.settings.actionMs / 1000);
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(host.settings.actionMs)]);
  let stop: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    stop = () => reject(new Error('stopped'));
    deadline.addEventListener('abort', stop, { once: true });
  });
  try {
    return await Promise.race([work(session, deadline), stopped]);
  } catch (error) {
    session = (await host.existing(id)?.catch(() => undefined)) ?? session;
    if (deadline.aborted || /Timeout \d+ms exceeded/.test(String(error))) {
      await host.closeSession(id, true);
      throw new Error(
        `the page did not finish within ${seconds} s (tools.browser.action_timeout_secs); its browser context was closed, browser_open to start again`,
      );
    }
    if (session.broken !== undefined) {
      await host.closeSession(id, true);
      throw new Error(session.broken);
    }
    throw withoutCallLog(error);
  } finally {
    if (stop) deadline.removeEventListener('abort', stop);
  }
}

/** The most of a failure's first line that is shown. */
const MAX_ERROR_CHARS = 500;

/**
 * A failure's first line only: Playwright's next lines (its call log, a strict-mode list of
 * matches) quote the page's elements (`locator resolved to <div title="…">…</div>`, hundreds of
 * the page's characters), and an error is not marked as the page's, so the page could speak
 * there as Oxydra. The first line says what failed.
 */
function withoutCallLog(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const first = error.message.split('\n', 1)[0] ?? '';
  if (first === error.message && first.length <= MAX_ERROR_CHARS) return error;
  return new Error(first.length > MAX_ERROR_CHARS ? `${first.slice(0, MAX_ERROR_CHARS - 1)}…` : first);
}

/** Only web pages: file://, chrome://, data: and the like are never shown. */
async function checkScheme(page: Page): Promise<void> {
  const url = page.url();
  if (/^(https?:|about:blank$)/.test(url)) return;
  await page.goto('about:blank').catch(() => undefined);
  throw new Error(`the page went to ${url.split(':')[0]}: URLs, which the browser tools do not open`);
}

/** Waits (bounded) for the page to go quiet, so script-rendered content is there to read. */
async function settle(session: BrowserSession): Promise<void> {
  await session.page.waitForLoadState('load').catch(() => undefined);
  await session.network.quiet(SETTLE_MS);
}

/**
 * A one-line state, what the network policy refused and the downloads since the last report,
 * then the page's title below the untrusted line (it is the page's words, like its text).
 */
async function status(session: BrowserSession, verb: string): Promise<ToolResult> {
  const { page } = session;
  // The page chooses its URL (history.replaceState): shown shortened, as untrusted.ts says why.
  const url = shownUrl(page.url());
  const lines = [`${verb} ${url}`];
  lines.push(...refusals(session));
  const downloads = await session.downloads.report();
  lines.push(...downloadLines(downloads.lines));
  const title = `title: ${JSON.stringify(await page.title())}`;
  return {
    content: showUntrusted(lines, `the web page ${url}`, title),
    data: { url: page.url(), ...savedData(downloads.saved) },
  };
}

function downloadLines(lines: string[]): string[] {
  if (lines.length === 0) return [];
  return [
    `downloads the page started (${lines.length}; saved under the workspace's downloads/ folder, read them with the file tools):`,
    ...lines.map((line) => `- ${line}`),
  ];
}

const savedData = (saved: SavedDownload[]) => (saved.length > 0 ? { downloads: saved } : {});

function refusals(session: BrowserSession): string[] {
  const refused = session.takeRefused();
  if (refused.length === 0) return [];
  return [
    `requests the network policy refused (${refused.length}; tools.web_search.egress_allowlist opens a host you trust):`,
    ...refused.map((line) => `- ${line}`),
  ];
}

export function browserOpen(host: BrowserHost): ToolRun<BrowserOpenArgs> {
  return async ({ url }, context) => {
    // web_fetch's URL rules: http(s) only (no file:, chrome:, data:, javascript:), no credentials.
    const target = parseHttpUrl(url).href;
    return act(host, context, async (session) => {
      const response = await session.page.goto(target, { waitUntil: 'load' });
      await settle(session);
      await checkScheme(session.page);
      const result = await status(session, 'opened');
      if (response && response.status() >= 400) {
        result.content = `HTTP ${response.status()}: ${result.content}`;
        result.isError = true;
      }
      return result;
    });
  };
}

export function browserRead(host: BrowserHost): ToolRun<Record<string, never>> {
  return async (_args, context) =>
    act(host, context, async (session, signal) => {
      await checkScheme(session.page);
      const page = await readPage(session.page, signal);
      let text = page.text;
      const notes: string[] = [];
      if (text.length > MAX_READ_CHARS) {
        notes.push(`text cut at ${MAX_READ_CHARS} of ${text.length} characters`);
        text = text.slice(0, MAX_READ_CHARS);
      }
      // Oxydra's lines first; the page's title, text and control names below the untrusted line.
      const url = shownUrl(page.url);
      const ours = [`URL: ${url}`];
      if (notes.length > 0) ours.push(`[${notes.join('; ')}]`);
      ours.push(...refusals(session));
      const downloads = await session.downloads.report();
      ours.push(...downloadLines(downloads.lines));
      if (page.controlsSkipped !== undefined) ours.push(`[${page.controlsSkipped}]`);
      const controls =
        page.controls.length > 0
          ? `Controls (name them in browser_click / browser_type):\n${page.controls.map((c) => `- ${c}`).join('\n')}`
          : page.controlsSkipped !== undefined
            ? ''
            : 'No controls.';
      return {
        content: showUntrusted(
          ours,
          `the web page ${url}`,
          [`# ${page.title}`, text, controls].filter((part) => part !== '').join('\n\n'),
        ),
        data: { url: page.url, chars: page.text.length, ...savedData(downloads.saved) },
      };
    });
}

/** The one control `candidates` match, else an error naming the problem. */
async function one(candidates: Locator, name: string): Promise<Locator> {
  const count = await candidates.count();
  if (count === 0) throw new Error(`no control named "${name}" on this page; browser_read lists them`);
  if (count > 1)
    throw new Error(`${count} controls are named "${name}"; give a role or the exact name from browser_read`);
  return candidates;
}

function byRoles(page: Page, roles: readonly string[], name: string, exact: boolean): Locator {
  const [first, ...rest] = roles.map((role) =>
    page.getByRole(role as Parameters<Page['getByRole']>[0], { name, exact }),
  );
  return rest.reduce((all, next) => all.or(next), first as Locator);
}

/** Exact names first; a part of a name only when nothing is named exactly so. */
async function named(page: Page, roles: readonly string[], name: string): Promise<Locator> {
  const exact = byRoles(page, roles, name, true);
  if ((await exact.count()) > 0) return one(exact, name);
  return one(byRoles(page, roles, name, false), name);
}

export function browserClick(host: BrowserHost): ToolRun<BrowserClickArgs> {
  return async ({ name, role }, context) =>
    act(host, context, async (session) => {
      const roles = role ? [role] : CLICK_ROLES;
      const target = await named(session.page, roles, name);
      await target.click();
      await settle(session);
      await checkScheme(session.page);
      return status(session, `clicked "${name}"; now at`);
    });
}

export function browserType(host: BrowserHost): ToolRun<BrowserTypeArgs> {
  return async ({ name, text, submit }, context) =>
    act(host, context, async (session) => {
      const field = await named(session.page, TEXT_ROLES, name);
      await field.fill(text);
      if (submit) {
        await field.press('Enter');
        await settle(session);
        await checkScheme(session.page);
      }
      return status(
        session,
        `typed ${text.length} characters into "${name}"${submit ? ' and pressed Enter' : ''}; at`,
      );
    });
}

export function browserScreenshot(host: BrowserHost): ToolRun<BrowserScreenshotArgs> {
  return async ({ full_page }, context) =>
    act(host, context, async (session) => {
      const png = await session.page.screenshot({ type: 'png', fullPage: full_page, animations: 'disabled' });
      // A page can be made endlessly tall: its whole-page image would fill every later request.
      if (png.length > MAX_SCREENSHOT_BYTES)
        throw new Error(
          `the screenshot is ${png.length} bytes, over the ${MAX_SCREENSHOT_BYTES}-byte cap; take it without full_page`,
        );
      const result = await status(session, `screenshot (PNG, ${png.length} bytes) of`);
      result.images = [{ mimeType: 'image/png', data: png.toString('base64') }];
      result.data = { url: session.page.url(), bytes: png.length };
      return result;
    });
}

export function browserClose(host: BrowserHost): ToolRun<Record<string, never>> {
  return async (_args, context) =>
    (await host.closeSession(sessionOf(context)))
      ? 'closed the browser session'
      : 'no browser session was open';
}
