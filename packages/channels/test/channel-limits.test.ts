/**
 * The time limits a channel's section sets, applied from the parsed configuration:
 * `download_timeout_secs` (every platform: one file's download, through the real host) and
 * Slack's `request_timeout_secs` (each Web API call, the real adapter through Bolt against the
 * testkit's fake Slack). Each test sets a value far below the default, which would not end
 * within the test.
 */
import { join } from 'node:path';
import { CHANNEL_PLATFORMS, ChannelHost, openChannelStore, SenderPolicy } from '@oxydra/channels';
import { pollUntil, tempWorkspace } from '@oxydra/testkit/helpers';
import { FakeSlack } from '@oxydra/testkit/slack';
import { ChannelRetryableError } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterEach, expect, it } from 'vitest';
import { sectionLimits } from '../src/host-options.js';
import { ALICE, direct, FilesChannel, ScriptedKernel } from './host-harness.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `[channels]` as the configuration parses it (a provider named, as every configuration must). */
function channels(sections: object) {
  return agentConfigSchema.parse({
    selection: { provider: 'openai', model: 'gpt-4o-mini' },
    providers: { registry: { openai: { provider_type: 'openai' } } },
    channels: sections,
  }).channels;
}

/** A file host that sends nothing and does not hear the download's signal (as IMAP did). */
class StallingFiles extends FilesChannel {
  override fetchAttachment(): Promise<Buffer<ArrayBuffer>> {
    return new Promise(() => {});
  }
}

it('download_timeout_secs: a download slower than the section says is refused, the sender told', async () => {
  const section = channels({ telegram: { download_timeout_secs: 1 } }).telegram;
  expect(sectionLimits(section).downloadTimeoutMs).toBe(1000);
  const scratch = tempWorkspace({ prefix: 'oxydra-channel-limits-' });
  const dir = scratch.dir;
  cleanups.push(async () => scratch.cleanup());
  const store = openChannelStore(join(dir, 'channels.db'));
  cleanups.push(() => store.close());
  const channel = new StallingFiles();
  const kernel = new ScriptedKernel();
  const host = new ChannelHost({
    kernel,
    userSlots: kernel.admission,
    channel,
    store,
    senders: new SenderPolicy('telegram', [{ platform_ids: [ALICE], user: 'alice' }], () => {}),
    log: () => {},
    workspace: dir,
    ...sectionLimits(section),
  });
  await host.start();
  cleanups.push(() => host.close(0));
  channel.push(
    direct(ALICE, 'read this', '1', {
      attachments: [{ id: 'f1', kind: 'document', fileName: 'a.pdf', mimeType: 'application/pdf' }],
    }),
  );
  await pollUntil(
    () => channel.sent.some((m) => m.text.includes('it took too long to download; send it again')),
    'the refusal',
  );
  expect(kernel.spawned).toHaveLength(0);
});

it('request_timeout_secs: a Slack call Slack never answers ends at the section bound, retryable', async () => {
  const fake = await FakeSlack.start();
  cleanups.push(() => fake.close());
  const section = channels({
    slack: {
      enabled: true,
      bot_token_env: 'SLACK_BOT_TOKEN',
      app_token_env: 'SLACK_APP_TOKEN',
      api_url: fake.apiUrl,
      request_timeout_secs: 1,
    },
  }).slack;
  const channel = await CHANNEL_PLATFORMS.slack.open('slack', section, {
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_APP_TOKEN: fake.appToken,
  });
  await channel.start();
  cleanups.push(() => channel.close());
  const target = { chatId: 'C0TEAM001' };
  const { messageId } = await channel.send(target, 'first');
  fake.failNext('chat.update', { stall: true });
  // The default (120 s) would outlast the test's own limit.
  const stalled = await channel.edit(target, messageId, 'second').catch((e: unknown) => e);
  expect(stalled).toBeInstanceOf(ChannelRetryableError);
});
