/**
 * What channels status and GET /api/v1/channels report, from a real channel database: a
 * workspace where no channel ran has empty counts and no file is made; a heartbeat younger than
 * STALE_AFTER_MS is "running", an older one (a process that died without saying) or a clean stop
 * is not; the newest sends given up on are listed, all counted.
 */
import { existsSync } from 'node:fs';
import {
  CHANNEL_NAMES,
  channelConfigs,
  channelDbPath,
  channelReports,
  openChannelStore,
  RECENT_FAILURES,
  STALE_AFTER_MS,
} from '@oxydra/channels';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterEach, expect, it } from 'vitest';

const config = agentConfigSchema.parse({
  selection: { provider: 'openai', model: 'gpt-4o-mini' },
  providers: { registry: { openai: { provider_type: 'openai' } } },
  agents: { helper: {} },
  channels: {
    telegram: {
      enabled: true,
      bot_token_env: 'SOME_TG_TOKEN',
      agent: 'helper',
      senders: [
        { platform_ids: ['1', '2'], user: 'alice' },
        { platform_ids: ['3'], user: 'bob' },
      ],
    },
  },
});

let scratch: TempWorkspace;
let dir: string | undefined;
afterEach(() => {
  if (dir) scratch.cleanup();
  dir = undefined;
});

it('lists each channel from the configuration, its secret variable set or not', () => {
  const configs = channelConfigs(config, { SOME_TG_TOKEN: 'x' });
  // Every platform, configured or not, in the platform table's order.
  expect(configs.map((c) => c.channel)).toEqual(CHANNEL_NAMES);
  expect(configs[0]).toEqual({
    channel: 'telegram',
    enabled: true,
    secrets: [{ key: 'bot_token_env', variable: 'SOME_TG_TOKEN', set: true }],
    senders: 2,
    senderIds: 3,
    agent: 'helper',
  });
  expect(configs.slice(1).every((c) => !c.enabled)).toBe(true);
});

it('reports empty counts and no health where no channel ran, without making the database', async () => {
  scratch = tempWorkspace({ prefix: 'oxydra-channel-status-' });
  dir = scratch.dir;
  const [report] = await channelReports({ config, workspace: dir, env: {} });
  expect(report).toMatchObject({
    stats: { inbound: {}, unsent: 0 },
    failures: { total: 0, recent: [] },
  });
  expect(report!.health).toBeUndefined();
  expect(existsSync(channelDbPath(dir))).toBe(false);
});

it('says running by the heartbeat’s age, not running after a clean stop or a silent death', async () => {
  scratch = tempWorkspace({ prefix: 'oxydra-channel-status-' });
  dir = scratch.dir;
  const store = openChannelStore(channelDbPath(dir));
  const beat = Date.parse('2026-03-01T12:00:00.000Z');
  const health = {
    botName: '@bot',
    pid: 99,
    host: 'box',
    startedAt: '2026-03-01T11:00:00.000Z',
    heartbeatAt: new Date(beat).toISOString(),
  };
  await store.recordHealth('telegram', health);
  await store.enqueue(
    'telegram',
    Array.from({ length: RECENT_FAILURES + 2 }, (_, i) => ({ key: `k${i}`, chatId: '5', text: `t${i}` })),
  );
  for (let i = 0; i < RECENT_FAILURES + 2; i += 1)
    await store.markFailed('telegram', `k${i}`, `refused ${i}`);
  const at = async (now: number) => (await channelReports({ config, workspace: dir!, env: {}, now }))[0]!;

  const fresh = await at(beat + 4_000);
  expect(fresh.health).toMatchObject({ running: true, heartbeatAgeSecs: 4, botName: '@bot' });
  expect(fresh.failures.total).toBe(RECENT_FAILURES + 2);
  expect(fresh.failures.recent).toHaveLength(RECENT_FAILURES);
  expect(fresh.failures.recent[0]).toMatchObject({ key: `k${RECENT_FAILURES + 1}`, chatId: '5' });
  expect(fresh.stats.unsent).toBe(0);

  expect((await at(beat + STALE_AFTER_MS)).health!.running).toBe(true);
  const dead = await at(beat + STALE_AFTER_MS + 1_000);
  expect(dead.health).toMatchObject({ running: false, heartbeatAgeSecs: STALE_AFTER_MS / 1000 + 1 });

  await store.recordHealth('telegram', { ...health, stoppedAt: health.heartbeatAt });
  expect((await at(beat + 1_000)).health!.running).toBe(false);
  await store.close();
});
