/**
 * `oxydra gateway` answers the enabled chat channels itself ([gateway] channels, default true),
 * end to end with the real binary, the testkit's fake Telegram Bot API and the mock model: a
 * message is answered through the gateway's kernel; /readyz and GET /api/v1/channels say the
 * gateway answers it; `oxydra channels run` beside it is refused naming the gateway (exit 2), and
 * a gateway started beside `oxydra channels run` leaves the channel to it; SIGTERM closes the
 * host (its health record says stopped) and `channels run` may take the channel over. A gateway
 * without channels (none configured, or [gateway] channels = false) loads no channel code.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import { FakeBotApi } from '@oxydra/testkit/telegram';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { killChannels } from './channels-run.js';
import { channelsToml, OWNER, startChannels, TOKEN } from './channels-telegram.js';
import { GatewayDaemon, generatedToken } from './gateway-daemon.js';
import { anyContains, moduleRecorder } from './module-recorder.js';

/** Strings only the channel host and grammY have, for the "was it loaded" checks. */
const HOST_CODE = 'Oxydra stopped while answering this message';
const GRAMMY_CODE = 'you are running your bot several times';

let env: AgentEnv | undefined;
let api: FakeBotApi | undefined;
const daemons: GatewayDaemon[] = [];

afterEach(async () => {
  for (const daemon of daemons.splice(0)) await daemon.stop();
  await killChannels();
  await api?.close();
  api = undefined;
  await env?.close();
  env = undefined;
});

async function startEnv(gatewayToml = ''): Promise<AgentEnv> {
  api = await FakeBotApi.start({ token: TOKEN });
  env = await AgentEnv.start(
    E2E_APIS[0]!,
    [
      { match: { lastMessageContains: 'gateway question' }, reply: { text: 'Answered by the gateway.' } },
      { match: { lastMessageContains: 'later question' }, reply: { text: 'Answered later.' } },
    ],
    `${gatewayToml}\n${channelsToml(api)}`,
  );
  env.sandbox.env.TEST_TELEGRAM_TOKEN = TOKEN;
  return env;
}

async function startGateway(agent: AgentEnv): Promise<GatewayDaemon> {
  const daemon = await GatewayDaemon.start(agent);
  daemons.push(daemon);
  return daemon;
}

async function answered(text: string, daemonLog: () => string) {
  try {
    return await pollUntil(() => api!.sent(OWNER).find((m) => m.text === text), `"${text}"`, {
      timeoutMs: 20_000,
    });
  } catch (error) {
    const sent = api!.sent(OWNER).map((m) => m.text);
    throw new Error(`${(error as Error).message}; sent: ${JSON.stringify(sent)}; log:\n${daemonLog()}`);
  }
}

const readyz = async (daemon: GatewayDaemon) =>
  (await (await fetch(`${daemon.url}/readyz`)).json()) as { status: string; channels?: unknown };

async function telegramReport(daemon: GatewayDaemon, agent: AgentEnv) {
  const response = await fetch(`${daemon.url}/api/v1/channels`, {
    headers: { authorization: `Bearer ${generatedToken(agent)}` },
  });
  expect(response.status).toBe(200);
  const { channels } = (await response.json()) as { channels: { channel: string; health: unknown }[] };
  return channels.find((c) => c.channel === 'telegram')!;
}

const getMeCalls = () => api!.calls.filter((c) => c.method === 'getMe').length;

describe('oxydra gateway answers the enabled chat channels', () => {
  it('answers a Telegram message through its kernel; channels run beside it is refused naming it; SIGTERM lets go', async () => {
    const agent = await startEnv();
    const recorder = moduleRecorder(agent.sandbox.root);
    agent.sandbox.env.NODE_OPTIONS = `--import=${recorder.register}`;
    const daemon = await startGateway(agent);
    const log = () => daemon.stdout + daemon.stderr;
    expect(daemon.logs().some((l) => l.msg === 'telegram: answering as @oxydra_test_bot')).toBe(true);
    expect(daemon.logs().find((l) => l.msg.startsWith('listening on'))?.channels).toBe('telegram answering');
    // The checks below can tell: this gateway loaded the host and grammY.
    expect(anyContains(recorder.loaded(), HOST_CODE)).toBe(true);
    expect(anyContains(recorder.loaded(), GRAMMY_CODE)).toBe(true);

    api!.message({ from: { id: OWNER, first_name: 'Alice' }, text: 'my gateway question' });
    await answered('Answered by the gateway.', log);
    expect(api!.sent(OWNER)).toHaveLength(1);

    expect(await readyz(daemon)).toMatchObject({
      status: 'ready',
      channels: [{ name: 'telegram', state: 'answering' }],
    });
    const pid = daemon.child.pid!;
    expect((await telegramReport(daemon, agent)).health).toMatchObject({
      running: true,
      bot_name: '@oxydra_test_bot',
      role: 'oxydra gateway',
      this_process: true,
      pid,
      host: hostname(),
    });

    // A second process for the same channel: refused before it connects, naming the gateway.
    const calls = getMeCalls();
    const second = await agent.run(['channels', 'run']);
    expect(second.status, second.stderr).toBe(2);
    const [line, hint] = second.stderr.trim().split('\n');
    expect(line).toMatch(
      new RegExp(
        `^error: telegram is already answered by oxydra gateway \\(pid ${pid} on ${hostname()}, since \\S+Z\\)$`,
      ),
    );
    expect(hint).toContain('[gateway] channels = false');
    expect(getMeCalls()).toBe(calls);
    // The gateway still answers (the refused process took nothing from it).
    api!.message({ from: { id: OWNER }, text: 'my later question' });
    await answered('Answered later.', log);

    daemon.kill('SIGTERM');
    expect(await daemon.exited, log()).toBe(0);
    const status = await agent.run(['channels', 'status', '--json']);
    const [telegram] = JSON.parse(status.stdout) as { health: { running: boolean; stoppedAt?: string } }[];
    expect(telegram!.health).toMatchObject({ running: false, role: 'oxydra gateway' });
    expect(telegram!.health.stoppedAt).toBeDefined();
    // Let go cleanly: `channels run` takes the channel at once.
    await startChannels(agent);
  });

  it('started beside `oxydra channels run`, leaves the channel to it and says so', async () => {
    const agent = await startEnv();
    const running = await startChannels(agent);
    const calls = getMeCalls();
    const daemon = await startGateway(agent);
    const warning = daemon.logs().find((l) => l.msg.startsWith('telegram: not answered here'));
    expect(warning?.level).toBe('warn');
    expect(warning?.msg).toContain(`already answered by oxydra channels run (pid ${running.child.pid}`);
    expect(daemon.logs().find((l) => l.msg.startsWith('listening on'))?.channels).toBe(
      'telegram answered elsewhere',
    );
    expect(await readyz(daemon)).toMatchObject({
      status: 'ready',
      channels: [{ name: 'telegram', state: 'answered elsewhere' }],
    });
    expect((await telegramReport(daemon, agent)).health).toMatchObject({
      running: true,
      role: 'oxydra channels run',
      this_process: false,
      pid: running.child.pid,
    });
    // The gateway never connected to the bot; the message is answered once, by channels run.
    expect(getMeCalls()).toBe(calls);
    api!.message({ from: { id: OWNER }, text: 'my gateway question' });
    await answered('Answered by the gateway.', running.stderr);
    expect(api!.sent(OWNER)).toHaveLength(1);
  });

  it('stops at start on an unset token variable (exit 2); serves without a channel whose platform refuses', async () => {
    const agent = await startEnv();
    delete agent.sandbox.env.TEST_TELEGRAM_TOKEN;
    const unset = await agent.run(['gateway', '--bind', '127.0.0.1:0']);
    expect(unset.status, unset.stderr).toBe(2);
    expect(unset.stderr).toContain(
      'error: [channels.telegram] bot_token_env names TEST_TELEGRAM_TOKEN, which is not set',
    );
    // Telegram unreachable: the gateway serves the rest, says so, and lets the channel go.
    agent.sandbox.env.TEST_TELEGRAM_TOKEN = TOKEN;
    await api!.close();
    api = undefined;
    const daemon = await startGateway(agent);
    const warning = daemon.logs().find((l) => l.msg.startsWith('telegram: not started: '));
    expect(warning?.level, daemon.stdout).toBe('warn');
    expect(warning?.msg).not.toContain(TOKEN);
    expect(await readyz(daemon)).toMatchObject({
      status: 'ready',
      channels: [{ name: 'telegram', state: 'not started' }],
    });
    const health = (await telegramReport(daemon, agent)).health as { running: boolean; stopped_at: string };
    expect(health).toMatchObject({ running: false, role: 'oxydra gateway' });
    expect(health.stopped_at).not.toBeNull();
  });

  it('loads no channel code without a channel, nor with [gateway] channels = false', async () => {
    const agent = await startEnv('\n[gateway]\nchannels = false\n');
    const recorder = moduleRecorder(agent.sandbox.root);
    agent.sandbox.env.NODE_OPTIONS = `--import=${recorder.register}`;
    const off = await startGateway(agent);
    expect(off.logs().some((l) => l.msg.startsWith('telegram:'))).toBe(false);
    expect((await readyz(off)).channels).toBeUndefined();
    expect(getMeCalls()).toBe(0);
    expect(anyContains(recorder.loaded(), HOST_CODE)).toBe(false);
    expect(anyContains(recorder.loaded(), GRAMMY_CODE)).toBe(false);
    await off.stop();
    // No channel configured at all.
    const toml = readFileSync(join(agent.workspace, '.oxydra', 'agent.toml'), 'utf8');
    agent.sandbox.write('.oxydra/agent.toml', toml.split('\n[gateway]')[0]!);
    recorder.clear();
    const none = await startGateway(agent);
    expect((await readyz(none)).channels).toBeUndefined();
    expect(anyContains(recorder.loaded(), HOST_CODE)).toBe(false);
    expect(anyContains(recorder.loaded(), GRAMMY_CODE)).toBe(false);
  });
});
