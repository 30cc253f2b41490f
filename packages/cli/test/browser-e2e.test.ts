/**
 * The browser tools end to end: the real `oxydra run` binary, a scripted model (the testkit's
 * mock OpenAI server) and the system's Chromium. The agent reads a site whose text only a
 * script renders, clicks through two pages, fills a form and takes a screenshot, which reaches
 * the model as an image. The site is on loopback, so the test allowlists it explicitly.
 */
import { existsSync } from 'node:fs';
import { startTestSite, type TestSite } from '@oxydra/tools/testing/browser-site';
import { afterEach, describe, expect, it } from 'vitest';
import { findChromium } from '../../tools/src/browser/launch.js';
import { attack, closeAttack } from './attack-helpers.js';

const chromium = findChromium();
const call = (name: string, args: Record<string, unknown> = {}) => ({ name, arguments: args });

/** The browser on, the test site (and only it) allowlisted. */
const browserToml = (site: TestSite): string =>
  `\n[tools.browser]\nenabled = true\naction_timeout_secs = 10\n\n[tools.web_search]\negress_allowlist = ["127.0.0.1:${site.port}"]\n`;

let site: TestSite | undefined;
afterEach(async () => {
  await closeAttack();
  await site?.close();
  site = undefined;
});

// Skipped only where no Chromium is installed: the tools then refuse, saying how to install it.
describe.skipIf(chromium === undefined || !existsSync(chromium))(
  'browser tools through oxydra run',
  { timeout: 120_000 },
  () => {
    it('reads a script-rendered page, clicks through two pages, fills a form and sends a screenshot', async () => {
      site = await startTestSite();
      const a = await attack(
        [
          call('browser_open', { url: `${site.origin}/` }),
          call('browser_read'),
          call('browser_click', { name: 'Go to the form' }),
          call('browser_type', { name: 'Email address', text: 'ada@example.test' }),
          call('browser_click', { name: 'Send it', role: 'button' }),
          call('browser_read'),
          call('browser_screenshot'),
          call('browser_close'),
        ],
        { extraToml: browserToml(site) },
      );
      expect(a.run.status, a.run.stderr).toBe(0);
      expect(a.ends.map((end) => [end.name, end.isError])).toEqual([
        ['browser_open', false],
        ['browser_read', false],
        ['browser_click', false],
        ['browser_type', false],
        ['browser_click', false],
        ['browser_read', false],
        ['browser_screenshot', false],
        ['browser_close', false],
      ]);
      // The words only the page's script puts there reached the model.
      expect(a.requests).toContain('The secret word is tangerine.');
      expect(site.submitted).toEqual(['ada@example.test']);
      expect(a.requests).toContain('Thanks, ada@example.test!');
      // The screenshot went to the model as an image (gpt-4o-mini reads images).
      expect(a.requests).toMatch(/data:image\/png;base64,iVBORw0KGgo/);
    });
  },
);
