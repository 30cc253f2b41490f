/**
 * Workspace trust from the dashboard, end to end: the real `oxydra gateway` in a workspace whose
 * own `.oxydra/agent.toml` sets keys that need trust (the user's model and key live in their
 * config folder, as they would), in headless Chromium. The Configuration page says what is held
 * back, secrets masked; the owner's (admin) token trusts it through a confirm step; trust.json in
 * the test HOME then records it, and the gateway started again loads those settings as trusted.
 * The user's own unsandboxed MCP server, started in the workspace, is held too and named as
 * theirs in the banner's title, as the CLI's held-back line names it, and counted apart from the
 * workspace's settings on the confirm button, the trusted line and the Health page.
 */
import { mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTrustFile } from '@oxydra/config';
import { mcpFixtures } from '@oxydra/mcp/testing/fixture-paths';
import { launch, logIn, NO_BROWSER, openPage, screenshot, settled, visit } from '@oxydra/web/testing/browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv } from './agent-env.js';

/** The user's own MCP server (unsandboxed, started in the workspace): held back as theirs. */
const TRIVIAL_SERVER = mcpFixtures('trivial-server.mjs');

import { GatewayDaemon, generatedToken, stopGatewayAndEnv } from './gateway-daemon.js';

const OPENAI_CHAT = { type: 'openai' as const, api: 'openai-chat' as const };
const PLANTED = ['sk-planted-header-e2e', 'sk-planted-literal-e2e'];

let env: AgentEnv;
let daemon: GatewayDaemon | undefined;

beforeAll(async () => {
  env = await AgentEnv.start(OPENAI_CHAT, [{ reply: { text: 'hello' }, times: 'always' }]);
  const userConfig = join(env.sandbox.home, '.config', 'oxydra');
  mkdirSync(userConfig, { recursive: true });
  writeFileSync(
    join(userConfig, 'agent.toml'),
    `[selection]\nprovider = "mock"\nmodel = "gpt-4o-mini"\n\n[providers.registry.mock]\nprovider_type = "openai"\nbase_url = "${env.mock.url}"\napi_key_env = "MOCK_KEY"\ncatalog_provider = "openai"\n
[mcp.servers.mine]\ncommand = "node"\nargs = [${JSON.stringify(TRIVIAL_SERVER)}]\nsandbox = false\n`,
  );
  rmSync(join(userConfig, 'trust.json'), { force: true });
  // Four settings that need trust, harmless once trusted (the second start loads them).
  env.sandbox.write(
    '.oxydra/agent.toml',
    `[providers.registry.mock]
extra_headers = { Authorization = "Bearer ${PLANTED[0]}", X-Team = "blue" }

[providers.registry.spare]
provider_type = "openai"
base_url = "http://127.0.0.1:9/v1"
api_key = "${PLANTED[1]}"

[tools]
approval = "auto"
`,
    { trust: false },
  );
  daemon = await GatewayDaemon.start(env);
}, 60_000);

afterAll(async () => {
  await stopGatewayAndEnv(daemon, env);
});

describe('the dashboard shows what a workspace holds back, and an admin trusts it', () => {
  it.skipIf(NO_BROWSER !== undefined)(
    `shows the held settings masked, trusts them after a confirm, and the next start applies them${NO_BROWSER ? ` (skipped: ${NO_BROWSER})` : ''}`,
    async () => {
      expect(daemon!.stderr).toContain('held back 4 settings');
      const workspace = realpathSync(env.workspace);
      const browser = await launch();
      try {
        const { page, problems } = await openPage(browser, `${daemon!.url}/`);
        await logIn(page, generatedToken(env));
        // Health counts the user's own server apart: "5 settings held back" named a fifth line
        // the workspace's files never wrote.
        await visit(page, 'Health', 'Health and resources');
        await page.getByText('4 settings and 1 item of your own held back:').waitFor();
        await visit(page, 'Configuration');
        await settled(page);
        const banner = page.getByRole('heading', {
          name: /^4 settings of .*\/\.oxydra are held back until you trust this workspace; also your MCP server `mine` starts unsandboxed in this workspace$/,
        });
        await banner.waitFor();
        for (const key of [
          'providers.registry.mock.extra_headers',
          'providers.registry.spare.base_url',
          'providers.registry.spare.api_key',
          'tools.approval',
          'mcp.servers.mine.sandbox',
        ]) {
          await page.getByRole('cell', { name: key, exact: true }).waitFor();
        }
        await page.getByRole('cell', { name: 'sends your API key and prompts to this address' }).waitFor();
        const html = await page.content();
        for (const secret of PLANTED) expect(html).not.toContain(secret);
        expect(html).toContain('blue');

        await page.getByRole('button', { name: 'Trust this workspace…' }).click();
        const confirm = page.getByRole('group', { name: /^Trust .*\?$/ });
        await confirm.getByText('send your API keys and prompts').waitFor();
        await screenshot(page, 'config-trust-confirm');
        // Nothing is recorded before the confirmation.
        expect(readTrustFile(env.sandbox.env).workspaces[workspace]).toBeUndefined();
        await confirm.getByText('These 4 settings and 1 item of your own will apply').waitFor();
        await confirm
          .getByRole('button', { name: 'Yes, trust these 4 settings and 1 item of your own' })
          .click();
        await page
          .getByRole('status')
          .filter({
            hasText: `trusted ${workspace}: restart the gateway to apply 4 settings and 1 item of your own`,
          })
          .waitFor();
        expect(readTrustFile(env.sandbox.env).workspaces[workspace]).toMatchObject({ decision: 'trusted' });
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }

      // The next start: nothing held back, and the page says so in one line.
      await daemon!.stop();
      daemon = await GatewayDaemon.start(env);
      expect(daemon.stderr).not.toContain('held back');
      const again = await launch();
      try {
        const { page, problems } = await openPage(again, `${daemon.url}/`);
        await logIn(page, generatedToken(env));
        await visit(page, 'Configuration');
        await page
          .getByText(
            `Workspace trust: ${workspace} is trusted (4 settings of its .oxydra and 1 item of your own apply).`,
          )
          .waitFor();
        expect(await page.getByRole('heading', { name: /held back/ }).count()).toBe(0);
        await visit(page, 'Health', 'Health and resources');
        await page.getByText('trusted', { exact: true }).waitFor();
        expect(problems).toEqual([]);
      } finally {
        await again.close();
      }
    },
    90_000,
  );
});
