/**
 * The browser tools, configured from [tools.browser]: their definitions only. Everything else —
 * playwright-core, the proxy, the session host — loads at the first browser call (defineTool's
 * `load`), so enabling the tools costs start-up nothing, and a default install need not carry
 * playwright-core at all (see docs/package.md).
 */
import { type DefinedTool, defineTool } from '../define.js';
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
  run_as: string;
  no_sandbox: boolean;
}

export interface BrowserToolsOptions {
  browser: BrowserConfig;
  /** tools.web_search.egress_allowlist: pages obey the same rules as web_fetch. */
  egressAllowlist: readonly string[];
  /** Replaces DNS resolution for the proxy's check (tests). */
  resolve?: Resolver;
}

/** The host, made at the first call of any browser tool, shared by all of them. */
export interface BrowserTools {
  tools: DefinedTool[];
  /** Closes the browser, if one was started (the kernel's close). */
  close(): Promise<void>;
}

/** A call's slack beyond the action cap: the action's own timeout fires first and says so. */
const SLACK_MS = 10_000;

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
        },
        async () => (policy ??= new EgressPolicy(options.egressAllowlist)),
        options.resolve,
      );
    })();
    return host;
  };
  const actions = async () => [await import('./actions.js'), await theHost()] as const;
  const timeoutMs = config.action_timeout_secs * 1000 + SLACK_MS;
  const tools: DefinedTool[] = [
    defineTool({
      name: 'browser_open',
      description:
        "Open an http(s) URL in a real browser (JavaScript runs), in this session's own browser context. " +
        'Then browser_read shows the page; private addresses are refused as by web_fetch.',
      parameters: BROWSER_OPEN,
      safety: 'side_effecting',
      timeoutMs,
      summarize: ({ url }) => `browser_open ${url}`,
      load: async () => {
        const [code, h] = await actions();
        return code.browserOpen(h);
      },
    }),
    defineTool({
      name: 'browser_read',
      description:
        'The open page as text (links inline), then its controls (buttons, links, fields) by accessible name.',
      parameters: BROWSER_READ,
      safety: 'side_effecting',
      timeoutMs,
      load: async () => {
        const [code, h] = await actions();
        return code.browserRead(h);
      },
    }),
    defineTool({
      name: 'browser_click',
      description: 'Click a control of the open page by its accessible name (as browser_read lists it).',
      parameters: BROWSER_CLICK,
      safety: 'side_effecting',
      timeoutMs,
      summarize: ({ name }) => `browser_click ${JSON.stringify(name)}`,
      load: async () => {
        const [code, h] = await actions();
        return code.browserClick(h);
      },
    }),
    defineTool({
      name: 'browser_type',
      description: 'Fill a text field of the open page, named by its label; submit presses Enter.',
      parameters: BROWSER_TYPE,
      safety: 'side_effecting',
      timeoutMs,
      summarize: ({ name }) => `browser_type into ${JSON.stringify(name)}`,
      load: async () => {
        const [code, h] = await actions();
        return code.browserType(h);
      },
    }),
    defineTool({
      name: 'browser_screenshot',
      description: 'A PNG screenshot of the open page, shown to you when your model reads images.',
      parameters: BROWSER_SCREENSHOT,
      safety: 'side_effecting',
      timeoutMs,
      load: async () => {
        const [code, h] = await actions();
        return code.browserScreenshot(h);
      },
    }),
    defineTool({
      name: 'browser_close',
      description:
        "Close this session's browser context (cookies and page); the next browser_open starts fresh.",
      parameters: BROWSER_CLOSE,
      safety: 'side_effecting',
      load: async () => {
        const [code, h] = await actions();
        return code.browserClose(h);
      },
    }),
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
