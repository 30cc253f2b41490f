/**
 * The browser tools, configured from [tools.browser]: their definitions only. Everything else —
 * playwright-core, the proxy, the session host — loads at the first browser call (defineTool's
 * `load`), so enabling the tools costs start-up nothing, and a default install need not carry
 * playwright-core at all (see docs/package.md).
 */

import { sourceOf } from '@oxydra/types';
import type { z } from 'zod';
import { type DefinedTool, defineTool, type ObjectSchema, type ToolRun } from '../define.js';
import type { PathPolicy } from '../paths.js';
import type { EgressPolicy } from '../web/address-policy.js';
import type { Resolver } from '../web/safe-fetch.js';
import type { BrowserHost } from './host.js';
import {
  BROWSER_CLICK,
  BROWSER_CLOSE,
  BROWSER_OPEN,
  BROWSER_READ,
  BROWSER_SCREENSHOT,
  BROWSER_TYPE,
} from './parameters.js';

/** The config's tools.browser (structurally; the schema's output type fits). */
export interface BrowserConfig {
  enabled: boolean;
  executable?: string | undefined;
  idle_timeout_secs: number;
  action_timeout_secs: number;
  max_sessions: number;
  max_heap_mib: number;
  max_download_mib: number;
  run_as: string;
  no_sandbox: boolean;
}

export interface BrowserToolsOptions {
  browser: BrowserConfig;
  /** tools.web_search.egress_allowlist: pages obey the same rules as web_fetch. */
  egressAllowlist: readonly string[];
  /** The file tools' denied folders (createCoreTools' policy): a page's downloads keep out too. */
  filePolicy?: PathPolicy;
  /** Replaces DNS resolution for the proxy's check (tests). */
  resolve?: Resolver;
}

/** The host, made at the first call of any browser tool, shared by all of them. */
export interface BrowserTools {
  tools: DefinedTool[];
  /** Closes the browser, if one was started (the kernel's close). */
  close(): Promise<void>;
}

/**
 * A call's slack beyond the action cap: a first call also starts Chromium (bounded by
 * LAUNCH_TIMEOUT_MS, seconds on a loaded machine), and the action's own cap fires first.
 */
const SLACK_MS = 70_000;

export function createBrowserTools(options: BrowserToolsOptions): BrowserTools {
  const config = options.browser;
  let host: Promise<BrowserHost> | undefined;
  const theHost = (): Promise<BrowserHost> => {
    host ??= (async () => {
      const [{ BrowserHost }, { EgressPolicy }] = await Promise.all([
        import('./host.js'),
        import('../web/address-policy.js'),
      ]);
      let policy: EgressPolicy | undefined;
      return new BrowserHost(
        {
          executable: config.executable,
          runAs: config.run_as,
          noSandbox: config.no_sandbox,
          maxHeapMib: config.max_heap_mib,
          idleMs: config.idle_timeout_secs * 1000,
          actionMs: config.action_timeout_secs * 1000,
          maxSessions: config.max_sessions,
          maxDownloadBytes: config.max_download_mib * 1024 * 1024,
          filePolicy: options.filePolicy ?? {},
        },
        async () => (policy ??= new EgressPolicy(options.egressAllowlist)),
        options.resolve,
      );
    })();
    return host;
  };
  const actions = async () => [await import('./actions.js'), await theHost()] as const;
  const timeoutMs = config.action_timeout_secs * 1000 + SLACK_MS;
  type Actions = Awaited<ReturnType<typeof actions>>[0];
  /** One tool: its description and the action that runs it, loaded at its first call. */
  const browserTool = <S extends ObjectSchema>(
    name: string,
    description: string,
    parameters: S,
    pick: (code: Actions, h: BrowserHost) => ToolRun<z.output<S>>,
    summarize?: (args: z.output<S>) => string,
  ): DefinedTool =>
    defineTool({
      name,
      description,
      parameters,
      safety: 'side_effecting',
      timeoutMs,
      // Every action's result shows the page (text, controls, an image): untrusted content.
      provenance: (args) => ({ kind: 'browser', ...sourceOf(args.url) }),
      ...(summarize ? { summarize } : {}),
      load: async () => {
        const [code, h] = await actions();
        return pick(code, h);
      },
    });
  const tools: DefinedTool[] = [
    browserTool(
      'browser_open',
      "Open an http(s) URL in a real browser (JavaScript runs), in this session's own browser context. " +
        'Then browser_read shows the page; private addresses are refused as by web_fetch.',
      BROWSER_OPEN,
      (code, h) => code.browserOpen(h),
      ({ url }) => `browser_open ${url}`,
    ),
    browserTool(
      'browser_read',
      'The open page as text (links inline), then its controls (buttons, links, fields) by accessible name.',
      BROWSER_READ,
      (code, h) => code.browserRead(h),
    ),
    browserTool(
      'browser_click',
      'Click a control of the open page by its accessible name (as browser_read lists it).',
      BROWSER_CLICK,
      (code, h) => code.browserClick(h),
      ({ name }) => `browser_click ${JSON.stringify(name)}`,
    ),
    browserTool(
      'browser_type',
      'Fill a text field of the open page, named by its label; submit presses Enter.',
      BROWSER_TYPE,
      (code, h) => code.browserType(h),
      ({ name }) => `browser_type into ${JSON.stringify(name)}`,
    ),
    browserTool(
      'browser_screenshot',
      'A PNG screenshot of the open page, shown to you when your model reads images.',
      BROWSER_SCREENSHOT,
      (code, h) => code.browserScreenshot(h),
    ),
    browserTool(
      'browser_close',
      "Close this session's browser context (cookies and page); the next browser_open starts fresh.",
      BROWSER_CLOSE,
      (code, h) => code.browserClose(h),
    ),
  ];
  return {
    tools,
    close: async () => {
      const started = host;
      host = undefined;
      if (started) await (await started).close();
    },
  };
}

export { type BrowserAvailability, browserAvailability } from './availability.js';
