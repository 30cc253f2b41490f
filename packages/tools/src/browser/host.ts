/**
 * The browser and its sessions: one Chromium process, started at the first browser action, and
 * one browser context (cookies, storage, one page) per Oxydra session, each with an egress proxy
 * of its own so that what a page was refused is told to that session alone, and its downloads
 * saved into that session's workspace (downloads.ts). A context unused for idle_timeout_secs is
 * closed; the browser exits with its last context.
 */

import { shownUrl } from '@oxydra/types';
import type { BrowserContext, Page } from 'playwright-core';
import type { PathPolicy } from '../paths.js';
import type { EgressPolicy } from '../web/address-policy.js';
import type { Resolver } from '../web/safe-fetch.js';
import { SessionDownloads } from './downloads.js';
import { type EgressProxy, startEgressProxy } from './egress-proxy.js';
import { type Launched, type LaunchSettings, launchChromium } from './launch.js';
import { NetworkActivity } from './network-quiet.js';

export interface BrowserSettings extends Omit<LaunchSettings, 'fallbackProxy'> {
  idleMs: number;
  actionMs: number;
  maxSessions: number;
  maxDownloadBytes: number;
  /** Where a page's downloads may not go (the file tools' denied folders). */
  filePolicy: PathPolicy;
}

/** How long a tool result waits for a running download, at most (and half the action cap). */
const DOWNLOAD_WAIT_MS = 10_000;

const NO_SERVICE_WORKERS = `Object.defineProperty(Navigator.prototype, 'serviceWorker', { get: () => undefined, configurable: false });`;

/**
 * A page's alert, confirm and prompt answer at once as Playwright's dismissal would (undefined,
 * false, null), in every frame, and the page cannot put them back. Each shown dialog was a round
 * trip to Playwright's auto-dismiss (~20 ms): a page opening thousands in a loop held the action
 * past its cap, and its session's context (cookies, page) was closed. The model cannot answer a
 * dialog anyway.
 */
const NO_DIALOGS = `for (const [name, answer] of [['alert', undefined], ['confirm', false], ['prompt', null]]) Object.defineProperty(window, name, { value: function () { return answer; }, writable: false, configurable: false });`;

const ALLOWLIST_HINT = /; add the host to tools\.web_search\.egress_allowlist if you trust it$/;

/** Refusals kept per session until the next tool result reports them. */
const MAX_REFUSALS = 20;

export class BrowserSession {
  /** Requests the proxy refused since the last report, newest last. */
  readonly refused: string[] = [];
  /** Set when the page crashed (e.g. past its heap cap) or was closed; every action then fails. */
  broken: string | undefined;
  idle: NodeJS.Timeout | undefined;

  constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly proxy: EgressProxy,
    readonly downloads: SessionDownloads,
    /** The page's requests in flight: an action reports once they are done (network-quiet.ts). */
    readonly network: NetworkActivity = new NetworkActivity(page),
  ) {}

  /** The refusals since the last call, as lines, and forgets them. */
  takeRefused(): string[] {
    return this.refused.splice(0, this.refused.length);
  }
}

export class BrowserHost {
  private launched: Promise<{ launched: Launched; fallback: EgressProxy }> | undefined;
  private readonly sessions = new Map<string, Promise<BrowserSession>>();

  constructor(
    readonly settings: BrowserSettings,
    private readonly policy: () => Promise<EgressPolicy>,
    private readonly resolve?: Resolver,
  ) {}

  /** The session's context, made (and the browser started) when there is none; its downloads go to `workspace`. */
  async session(id: string, workspace: string): Promise<BrowserSession> {
    let session = this.sessions.get(id);
    if (!session) {
      if (this.sessions.size >= this.settings.maxSessions)
        throw new Error(
          `${this.sessions.size} browser sessions are open, the most [tools.browser] max_sessions allows; close one with browser_close`,
        );
      session = this.open();
      this.sessions.set(id, session);
      session.catch(() => this.sessions.delete(id));
    }
    const ready = await session;
    ready.downloads.workspace = workspace;
    this.touch(id, ready);
    return ready;
  }

  /** The session's context if it has one (browser_close, reads of a closed page). */
  existing(id: string): Promise<BrowserSession> | undefined {
    return this.sessions.get(id);
  }

  /** Closes the session's context; the browser too when it was the last, unless `keepBrowser`. */
  async closeSession(id: string, keepBrowser = false): Promise<boolean> {
    const session = this.sessions.get(id);
    if (!session) return false;
    this.sessions.delete(id);
    const ready = await session.catch(() => undefined);
    if (ready) {
      clearTimeout(ready.idle);
      ready.downloads.close();
      await bounded(ready.context.close(), 5000);
      await ready.proxy.close();
    }
    if (this.sessions.size === 0 && !keepBrowser) await this.close();
    return true;
  }

  /** Closes every context and the browser (the kernel's close, the last session's idle end). */
  async close(): Promise<void> {
    for (const id of [...this.sessions.keys()]) await this.closeSession(id);
    const launched = this.launched;
    this.launched = undefined;
    if (!launched) return;
    const started = await launched.catch(() => undefined);
    if (!started) return;
    // A browser stuck in a runaway page still exits: Playwright kills the process after this.
    await bounded(started.launched.browser.close(), 5000);
    await started.fallback.close();
    await started.launched.cleanup();
  }

  private touch(id: string, session: BrowserSession): void {
    clearTimeout(session.idle);
    session.idle = setTimeout(() => void this.closeSession(id), this.settings.idleMs);
    session.idle.unref();
  }

  private browser(): Promise<Launched> {
    this.launched ??= (async () => {
      const fallback = await startEgressProxy({ policy: undefined });
      try {
        const launched = await launchChromium({ ...this.settings, fallbackProxy: fallback.url });
        return { launched, fallback };
      } catch (error) {
        await fallback.close();
        throw error;
      }
    })();
    const launching = this.launched;
    launching.catch(() => {
      if (this.launched === launching) this.launched = undefined;
    });
    return launching.then(({ launched }) => launched);
  }

  private async open(): Promise<BrowserSession> {
    const { browser, downloads } = await this.browser();
    const proxyOptions: Parameters<typeof startEgressProxy>[0] = { policy: await this.policy() };
    if (this.resolve) proxyOptions.resolve = this.resolve;
    let session: BrowserSession | undefined;
    proxyOptions.onRefused = (target, reason) => {
      const list = session?.refused;
      if (!list) return;
      // The policy's reason names the URL already, and its allowlist hint is said once, below.
      const why = reason.replace(ALLOWLIST_HINT, '');
      const shown = shownUrl(target);
      list.push(why.startsWith(shown) ? why : `${shown}: ${why}`);
      if (list.length > MAX_REFUSALS) list.shift();
    };
    const proxy = await startEgressProxy(proxyOptions);
    try {
      const context = await browser.newContext({
        proxy: { server: proxy.url, bypass: '<-loopback>', ...proxy.credentials },
        // Into the browser's own folder; downloads.ts saves them into the workspace, or not.
        acceptDownloads: true,
        viewport: { width: 1280, height: 800 },
      });
      // Service workers could run and fetch later, outside any action: pages cannot register
      // one. (Playwright's serviceWorkers: 'block' would also switch off its network tracking.)
      await context.addInitScript(NO_SERVICE_WORKERS);
      await context.addInitScript(NO_DIALOGS);
      context.setDefaultTimeout(this.settings.actionMs);
      context.setDefaultNavigationTimeout(this.settings.actionMs);
      const page = await context.newPage();
      const saving = new SessionDownloads({
        folder: downloads,
        maxBytes: this.settings.maxDownloadBytes,
        policy: this.settings.filePolicy,
        waitMs: Math.min(DOWNLOAD_WAIT_MS, this.settings.actionMs / 2),
      });
      session = new BrowserSession(context, page, proxy, saving);
      const current = session;
      // Popups (window.open, target=_blank) are closed: one page per session, a bounded count.
      context.on('page', (other) => {
        if (other !== page) void other.close().catch(() => undefined);
      });
      page.on('download', (download) => saving.take(download));
      page.on('crash', () => {
        current.broken = 'the page crashed (past its memory cap, or killed); browser_open a page again';
      });
      page.on('close', () => {
        current.broken ??= 'the page was closed; browser_open a page again';
      });
      return session;
    } catch (error) {
      await proxy.close();
      throw error;
    }
  }
}

/** Waits for `work` at most `ms`, then goes on (its failure ignored: this is cleanup). */
async function bounded(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise((done) => {
      timer = setTimeout(done, ms);
    }),
  ]);
  clearTimeout(timer);
}
