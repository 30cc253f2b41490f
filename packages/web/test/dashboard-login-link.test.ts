/**
 * Login CSRF through the dashboard's login link: any web page could open
 * `<gateway>/#code=<code>` with a code of its maker's (another user of this gateway), and the
 * tab signed itself in as that maker, who then read whatever the victim typed there. Now the
 * tab asks first, naming who the link signs in as; only a click takes the token
 * (docs/security.md, G29).
 */

import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestGateway, type TestGateway, userTokens } from '@oxydra/gateway/testing/helpers';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, NO_BROWSER } from './browser.js';

const WEB_ROOT = fileURLToPath(new URL('../dist/', import.meta.url));
const TOKEN_KEY = "sessionStorage.getItem('oxydra.gateway-token')";

describe.skipIf(NO_BROWSER !== undefined)('a login link opened by another web page', () => {
  let env: TestGateway;
  let browser: Browser;
  let evil: Server;
  let evilOrigin: string;
  let mallory: string;

  beforeAll(async () => {
    if (!existsSync(join(WEB_ROOT, 'index.html')))
      throw new Error('packages/web/dist is not built: run npm run build');
    env = await startTestGateway({ webRoot: WEB_ROOT });
    [mallory] = (await userTokens(env, 'mallory')) as [string];
    evil = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end('<!doctype html><title>cats</title><p>cute cats</p>');
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilOrigin = `http://127.0.0.1:${(evil.address() as { port: number }).port}`;
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    evil?.close();
    await env?.cleanup();
  });

  /** Mallory's login link, opened by her page in the victim's browser: the tab it opens. */
  async function openedByHerPage() {
    const made = await fetch(`${env.gateway.url}/api/v1/login-codes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mallory}` },
    });
    const { path } = (await made.json()) as { path: string };
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${evilOrigin}/`);
    const [tab] = await Promise.all([
      context.waitForEvent('page'),
      page.evaluate(`void window.open(${JSON.stringify(`${env.gateway.url}${path}`)})`),
    ]);
    tab.setDefaultTimeout(15_000);
    return { context, tab };
  }

  it('does not sign the tab in until the person confirms who it signs in as', async () => {
    const { context, tab } = await openedByHerPage();
    try {
      await tab.getByText('A login link signs this tab in as').waitFor();
      await tab.getByText('mallory (user token)').waitFor();
      expect(await tab.evaluate(TOKEN_KEY)).toBeNull();
      await tab.getByRole('button', { name: 'Continue' }).click();
      await tab.getByRole('button', { name: 'Log out' }).waitFor();
      expect(await tab.evaluate(TOKEN_KEY)).toBe(mallory);
    } finally {
      await context.close();
    }
  });

  it('leaves the login form when the person cancels', async () => {
    const { context, tab } = await openedByHerPage();
    try {
      await tab.getByRole('button', { name: 'Cancel' }).click();
      await tab.getByLabel('Gateway token').waitFor();
      expect(await tab.evaluate(TOKEN_KEY)).toBeNull();
    } finally {
      await context.close();
    }
  });
});
