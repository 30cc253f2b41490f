/**
 * [tools.browser]: the sandboxed Chromium tools (browser_open, browser_read, ...). Off unless
 * enabled: it needs a system Chromium and the optional playwright-core package.
 */
import { z } from 'zod';
import { once } from '../once.js';

const positiveInt = once(() => z.int().positive());

export const browserSchema = once(() =>
  z.strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        'register the browser tools (needs a system Chromium and the playwright-core package); pages obey tools.web_search.egress_allowlist like web_fetch',
      ),
    executable: z
      .string()
      .min(1)
      .optional()
      .describe(
        'path of the Chromium to drive (default: chromium, chromium-browser or google-chrome on PATH)',
      ),
    idle_timeout_secs: positiveInt()
      .default(300)
      .describe("seconds a session's browser context stays open unused; the browser exits when none is left"),
    action_timeout_secs: positiveInt()
      .default(30)
      .describe('limit per browser action (load, click, type, read); a page past it is closed'),
    max_sessions: positiveInt().default(4).describe('browser contexts open at once (one per session)'),
    max_heap_mib: positiveInt()
      .default(256)
      .describe('JavaScript heap cap per page, in MiB: a page past it crashes and is closed'),
    max_download_mib: positiveInt()
      .default(50)
      .describe(
        "largest file a page may download, in MiB: it is saved new under the workspace's downloads/ folder, and one past this is cut and removed",
      ),
    run_as: z
      .string()
      .regex(/^\d+(:\d+)?$/, 'use "UID[:GID]"')
      .refine((value) => !/^0(:|$)/.test(value), 'uid 0 is root: Chromium must not run as root')
      .default('65534:65534')
      .describe(
        'when Oxydra runs as root, the uid[:gid] Chromium runs as (Chromium refuses its sandbox as root)',
      ),
    no_sandbox: z
      .boolean()
      .default(false)
      .describe(
        'run Chromium without its own sandbox when it cannot start one (e.g. no user namespaces); only inside a container you trust',
      ),
  }),
);
