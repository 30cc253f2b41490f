/**
 * A channel a plugin provides, through the real `oxydra channels run` (issue 34): the test
 * plugin (fixtures/plugins/webchat, copied into the workspace as a user's plugin would be) speaks
 * a tiny local HTTP chat. Enabled by `[channels.plugin.webchat]`, it is answered by the same host
 * as the built-in platforms: a listed sender gets the agent's answer, a stranger gets nothing
 * and the model never sees their message. A plugin channel named like a built-in platform, and
 * one no loaded plugin provides, are configuration errors (exit 2, one line); a disabled one is
 * never opened. `channels test` and a schedule's `--notify` reach it as they reach a built-in one.
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_MESSAGE } from '@oxydra/channels';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { askedAbout, killChannels, pollExplained, runScheduleTo, startChannels } from './channels-run.js';

const PLUGIN = fileURLToPath(new URL('./fixtures/plugins/webchat', import.meta.url));

const LOAD = `
[plugins.load.webchat]
from = "./plugins/webchat"
config = { bot_name = "webchat-test-bot" }
`;

const ENABLED = `
[channels.plugin.webchat]
enabled = true

[[channels.plugin.webchat.senders]]
platform_ids = ["ada"]
display_name = "Ada"
user = "ada"
`;

let env: AgentEnv | undefined;
afterEach(async () => {
  await killChannels();
  await env?.close();
  env = undefined;
});

async function workspaceWith(toml: string): Promise<AgentEnv> {
  const agent = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'hello Ada' }, times: 'always' }], toml);
  cpSync(PLUGIN, join(agent.workspace, 'plugins', 'webchat'), { recursive: true });
  return agent;
}

describe('a plugin channel', () => {
  it('answers a listed sender through the plugin and ignores a stranger', async () => {
    env = await workspaceWith(LOAD + ENABLED);
    const agent = env;
    const run = await startChannels(agent, { env: {}, ready: 'webchat: answering as webchat-test-bot' });
    const port = readFileSync(join(agent.workspace, 'webchat.port'), 'utf8');
    const base = `http://127.0.0.1:${port}`;
    const say = (sender: string, text: string) =>
      fetch(`${base}/say`, { method: 'POST', body: JSON.stringify({ sender, text }) });
    const sent = async () =>
      (await (await fetch(`${base}/sent`)).json()) as { chatId: string; text: string }[];

    await say('mallory', 'a stranger asks for secrets');
    await say('ada', 'what is new today');
    let last: { chatId: string; text: string }[] = [];
    await pollExplained(
      async () => {
        last = await sent();
        return last.some((m) => m.chatId === 'ada' && m.text.includes('hello Ada'));
      },
      'the answer to Ada',
      () => `sent: ${JSON.stringify(last)}; log: ${run.stderr()}`,
    );
    // Sent in arrival order, the stranger's message was handled (and dropped) before Ada's.
    expect(last.filter((m) => m.chatId === 'mallory')).toEqual([]);
    expect(run.stderr()).toContain('webchat: ignoring messages from unknown sender mallory');
    expect(askedAbout(agent, 'what is new today')).toBe(1);
    expect(askedAbout(agent, 'a stranger asks for secrets')).toBe(0);
    // The plugin was given the listed senders' ids.
    expect(readFileSync(join(agent.workspace, 'webchat-opened.log'), 'utf8')).toBe('webchat ada\n');

    // Listed, stored and watched like a built-in platform's channel (also GET /api/v1/channels).
    const status = await agent.run(['channels', 'status', '--json']);
    expect(status.status, status.stderr).toBe(0);
    const reports = JSON.parse(status.stdout) as {
      channel: string;
      enabled: boolean;
      senderIds: number;
      health?: { running: boolean };
      stats: { inbound: Record<string, number> };
    }[];
    const webchat = reports.find((r) => r.channel === 'webchat');
    expect(webchat).toMatchObject({ enabled: true, senderIds: 1, health: { running: true } });
    expect(Object.values(webchat!.stats.inbound).reduce((a, b) => a + b, 0)).toBe(1);
    // A second process cannot answer the channel this one holds.
    const second = await agent.run(['channels', 'run']);
    expect(second.status).toBe(2);
    expect(second.stderr).toMatch(/webchat/);
    expect(await run.stop()).toBe(0);
  }, 60_000);

  it('`channels test` opens it through its plugin; a schedule delivers its results to one of its chats', async () => {
    env = await workspaceWith(LOAD + ENABLED);
    const agent = env;
    const sentLog = () =>
      readFileSync(join(agent.workspace, 'webchat-sent.log'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { chatId: string; text: string });
    const tested = await agent.run(['channels', 'test', 'webchat', '--to', 'ada']);
    expect(tested.status, tested.stderr).toBe(0);
    expect(tested.stdout).toContain(
      'webchat: the platform accepted the credentials; the bot is webchat-test-bot',
    );
    expect(sentLog()).toEqual([{ chatId: 'ada', text: TEST_MESSAGE }]);
    const unknown = await agent.run(['channels', 'test', 'matrix']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('there is no channel "matrix"');
    expect(unknown.stderr).toContain('webchat');

    // A schedule may name only its own user's chat on the plugin's channel too.
    const refused = await agent.run([
      'schedule',
      'add',
      '--every',
      '1h',
      '--user',
      'ada',
      '--notify',
      'webchat:mallory',
      'x',
    ]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('--notify webchat:mallory: no listed sender of that chat is user "ada"');
    expect(refused.stderr).toContain('[[channels.plugin.webchat.senders]]');

    const run = await startChannels(agent, { env: {}, ready: 'webchat: answering as webchat-test-bot' });
    await runScheduleTo(agent, {
      user: 'ada',
      name: 'digest',
      notify: 'webchat:ada',
      prompt: 'the daily digest',
    });
    const result = (m: { chatId: string; text: string }) =>
      m.chatId === 'ada' && m.text.startsWith('Scheduled "digest"');
    await pollExplained(
      async () => sentLog().some(result),
      "the scheduled result in ada's chat",
      () => `sent: ${JSON.stringify(sentLog())}; log: ${run.stderr()}`,
    );
    expect(sentLog().filter(result)).toEqual([{ chatId: 'ada', text: 'Scheduled "digest":\nhello Ada' }]);
    expect(await run.stop()).toBe(0);
  }, 60_000);

  it('a plugin channel named like a built-in platform is a one-line configuration error', async () => {
    env = await workspaceWith(`${LOAD}\n[channels.plugin.telegram]\nenabled = true\n`);
    const run = await env.run(['channels', 'run']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      'plugin channel "telegram" clashes with the built-in channel [channels.telegram]',
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('an enabled plugin channel no loaded plugin provides is a configuration error', async () => {
    env = await workspaceWith(`${LOAD}\n[channels.plugin.matrix]\nenabled = true\n`);
    const run = await env.run(['channels', 'run']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('[channels.plugin.matrix] is enabled, but no loaded plugin provides it');
    expect(run.stderr).toContain('"webchat" (plugin webchat)');
    expect(existsSync(join(env.workspace, 'webchat-opened.log'))).toBe(false);
  });

  it('a disabled plugin channel is never opened', async () => {
    env = await workspaceWith(`${LOAD}${ENABLED.replace('enabled = true', 'enabled = false')}`);
    const run = await env.run(['channels', 'run']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('no channel is enabled');
    expect(existsSync(join(env.workspace, 'webchat-opened.log'))).toBe(false);
  });
});
