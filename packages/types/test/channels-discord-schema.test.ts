/** `[channels.discord]`: defaults, the token variable required when enabled, snowflake sender ids listed once. */
import { describe, expect, it } from 'vitest';
import { channelsSchema } from '../src/config/channels-schema.js';

const parse = (discord: Record<string, unknown>) => channelsSchema().safeParse({ discord });
const problems = (discord: Record<string, unknown>) =>
  parse(discord).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

describe('[channels.discord]', () => {
  it("is off by default, with Discord's API and 2000-character messages", () => {
    expect(channelsSchema().parse({}).discord).toEqual({
      enabled: false,
      max_message_length: 2000,
      senders: [],
      unknown_senders: 'ignore',
      max_file_bytes: 20 * 1024 * 1024,
      max_concurrent_turns: 16,
      download_timeout_secs: 300,
      api_url: 'https://discord.com/api',
    });
  });

  it('enabled needs bot_token_env; sender ids are snowflakes, each listed once', () => {
    expect(problems({ enabled: true })).toEqual([
      expect.stringMatching(/^discord.bot_token_env: enabled = true needs bot_token_env/),
    ]);
    expect(problems({ senders: [{ platform_ids: ['alice'] }] })).toEqual([
      expect.stringMatching(/snowflake of 17-20 digits/),
    ]);
    const id = '123456789012345678';
    expect(problems({ senders: [{ platform_ids: [id] }, { platform_ids: [id] }] })).toEqual([
      expect.stringMatching(/listed in senders 0 and 1/),
    ]);
    expect(problems({ max_message_length: 4096 })).toHaveLength(1);
    expect(problems({ api_url: 'http://127.0.0.1:9/api/' })).toEqual([expect.stringMatching(/trailing/)]);
    expect(
      parse({
        enabled: true,
        bot_token_env: 'DISCORD_BOT_TOKEN',
        senders: [{ platform_ids: [id], user: 'alice' }],
      }).success,
    ).toBe(true);
  });
});
