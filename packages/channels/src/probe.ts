/**
 * `oxydra channels test <channel> [--to <chat>]`: opens one configured channel with its secrets
 * (a plugin's channel through its plugin), checks them with the platform (Telegram: getMe), and with a chat id sends one message there.
 * Nothing is received and nothing stored. A configuration mistake is a UsageError (exit 2); a
 * platform's refusal is a ChannelTestFailure carrying the platform's words (exit 1), which the
 * adapters give without the token.
 */
import { type AgentConfig, type Channel, UsageError } from '@oxydra/types';
import { CHANNEL_NAMES, CHANNEL_PLATFORMS, type ChannelPlatform, type ChannelSection } from './platforms.js';
import { pluginChannelSection } from './plugin-channels.js';

/** The platform refused (a revoked token, an unknown chat) or could not be reached. */
export class ChannelTestFailure extends Error {
  constructor(
    readonly channel: string,
    readonly step: 'check' | 'send',
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'ChannelTestFailure';
  }
}

/** Longer than any platform's chat id: a pasted message, not an id. */
const MAX_CHAT_ID_CHARS = 200;

export const TEST_MESSAGE = 'Oxydra test message: this channel can send here.';

export async function testChannel(options: {
  config: AgentConfig;
  channel: string;
  env: NodeJS.ProcessEnv;
  /** A chat id to send one test message to. */
  to?: string | undefined;
  /**
   * Opens a plugin's channel (`[channels.plugin.<name>]`): its plugin is loaded by the kernel,
   * which the caller opens only for this. Unset: only the built-in platforms can be tested.
   */
  openPluginChannel?: (name: string) => Promise<Channel>;
}): Promise<{ botName: string; messageId?: string }> {
  const name = options.channel;
  const to = options.to?.trim();
  if (to !== undefined && (to === '' || to.length > MAX_CHAT_ID_CHARS)) {
    throw new UsageError('--to needs a chat id', {
      hint: "give the platform's id of the chat (on Telegram, your user id is your private chat with the bot)",
    });
  }
  const channel = await openForTest(options);
  try {
    let botName: string;
    try {
      // probe() changes nothing on the platform; start() (its fallback) may (Telegram's drops a webhook).
      ({ botName } = await (channel.probe ? channel.probe() : channel.start()));
    } catch (error) {
      throw new ChannelTestFailure(name, 'check', error);
    }
    if (to === undefined) return { botName };
    try {
      const { messageId } = await channel.send({ chatId: to }, TEST_MESSAGE);
      return { botName, messageId };
    } catch (error) {
      throw new ChannelTestFailure(name, 'send', error);
    }
  } finally {
    await channel.close();
  }
}

/** The named channel, opened with its secrets (a built-in platform) or by its plugin. */
function openForTest(options: Parameters<typeof testChannel>[0]): Promise<Channel> {
  const name = options.channel;
  if ((CHANNEL_NAMES as string[]).includes(name)) {
    const key = name as (typeof CHANNEL_NAMES)[number];
    const platform = CHANNEL_PLATFORMS[key] as ChannelPlatform<ChannelSection>;
    return platform.open(name, options.config.channels[key] as ChannelSection, options.env);
  }
  if (pluginChannelSection(options.config, name) && options.openPluginChannel)
    return options.openPluginChannel(name);
  throw new UsageError(`there is no channel "${name}"`, {
    hint: `name one of: ${[...CHANNEL_NAMES, ...Object.keys(options.config.channels.plugin)].join(', ')}`,
  });
}
