/**
 * The web dashboard from the real `oxydra gateway` binary (the rolldown bundle, which finds
 * @oxydra/web's dist folder at run time): its start line says where the dashboard is, / and its
 * assets load without the token (nothing else does), and in headless Chromium a person logs in
 * with the generated token and a chat turn streams the mock model's answer. `oxydra dashboard`
 * gives a one-time link that signs the page in without the token in any URL.
 */

import { launch, logIn, NO_BROWSER, openPage } from '@oxydra/web/testing/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv } from './agent-env.js';
import { GatewayDaemon, generatedToken } from './gateway-daemon.js';

const OPENAI_CHAT = { type: 'openai' as const, api: 'openai-chat' as const };

let env: AgentEnv;
let daemon: GatewayDaemon;

beforeAll(async () => {
  env = await AgentEnv.start(OPENAI_CHAT, [
    { reply: { text: 'Hello from the mock model.' }, times: 'always' },
  ]);
  daemon = await GatewayDaemon.start(env);
}, 60_000);

afterAll(async () => {
  daemon?.kill('SIGKILL');
  await daemon?.exited;
  await env?.close();
});

describe('oxydra gateway serves the web dashboard', () => {
  it('says where the dashboard is, and serves it and its assets without the token', async () => {
    const listening = daemon.logs().find((line) => line.msg.startsWith('listening on'));
    expect(listening?.dashboard).toBe(`${daemon.url}/`);
    const page = await fetch(`${daemon.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script, html).toBeDefined();
    const asset = await fetch(`${daemon.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${daemon.url}/v1/models`)).status).toBe(401);
    expect(html).not.toContain(generatedToken(env));
    // The Channels page's data: the binary hands the gateway the channels' report (none ran here).
    const channels = await fetch(`${daemon.url}/api/v1/channels`, {
      headers: { authorization: `Bearer ${generatedToken(env)}` },
    });
    expect(channels.status).toBe(200);
    const { channels: reports } = (await channels.json()) as { channels: unknown[] };
    expect(reports[0]).toMatchObject({
      channel: 'telegram',
      enabled: false,
      health: null,
      outbox: { unsent: 0, failed: 0 },
    });
  });

  it.skipIf(NO_BROWSER !== undefined)(
    `logs in with the generated token and streams a chat turn in Chromium${NO_BROWSER ? ` (skipped: ${NO_BROWSER})` : ''}`,
    async () => {
      const browser = await launch();
      try {
        const { page, problems } = await openPage(browser, `${daemon.url}/`);
        await logIn(page, generatedToken(env));
        await page.getByText('connected', { exact: true }).waitFor();
        await page.getByLabel('Message').fill('say hello');
        await page.getByLabel('Message').press('Enter');
        await page.locator('.msg-assistant', { hasText: 'Hello from the mock model.' }).waitFor();
        await page.getByRole('button', { name: 'Send' }).waitFor();
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );

  it.skipIf(NO_BROWSER !== undefined)(
    `oxydra dashboard signs Chromium in once, with no token in any URL${NO_BROWSER ? ` (skipped: ${NO_BROWSER})` : ''}`,
    async () => {
      const made = await env.run(['dashboard', '--print']);
      expect(made.status, made.stderr).toBe(0);
      const link = made.stdout.trim();
      expect(link).toMatch(new RegExp(`^${daemon.url}/#code=[A-Za-z0-9_-]{43}$`));
      expect(link).not.toContain(generatedToken(env));
      expect(made.stderr).toContain('signs in once, within a minute');
      const browser = await launch();
      try {
        const { page, problems } = await openPage(browser, link);
        // The tab asks before it takes the token, naming who the link signs in as (G29).
        await page.getByText('A login link signs this tab in as').waitFor();
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.getByRole('button', { name: 'Log out' }).waitFor();
        // The code left the address bar (and so the history) at once; the token is in the tab only.
        expect(page.url()).toBe(`${daemon.url}/`);
        expect(await page.evaluate("sessionStorage.getItem('oxydra.gateway-token')")).toBe(
          generatedToken(env),
        );
        expect(problems).toEqual([]);
        // Used once: the same link in another tab gets the login form.
        const again = await openPage(browser, link);
        await again.page.getByLabel('Gateway token').waitFor();
        expect(await again.page.evaluate("sessionStorage.getItem('oxydra.gateway-token')")).toBeNull();
      } finally {
        await browser.close();
      }
      // Without a token no code is given, and a made-up code is refused.
      expect((await fetch(`${daemon.url}/api/v1/login-codes`, { method: 'POST' })).status).toBe(401);
      const forged = await fetch(`${daemon.url}/login/redeem`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: 'A'.repeat(43) }),
      });
      expect(forged.status).toBe(401);
    },
  );
});
