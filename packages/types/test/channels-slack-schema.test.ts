/** `[channels.slack]`: the defaults, the secrets each mode needs, and Slack's user id form. */
import { describe, expect, it } from 'vitest';
import { channelsSchema } from '../src/config/channels-schema.js';

const slack = (fields: Record<string, unknown>) => channelsSchema().safeParse({ slack: fields });
const messages = (fields: Record<string, unknown>) =>
  (slack(fields).error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('[channels.slack]', () => {
  it('defaults to Socket Mode on slack.com, disabled, listening on loopback for http mode', () => {
    expect(channelsSchema().parse({}).slack).toMatchObject({
      enabled: false,
      mode: 'socket',
      api_url: 'https://slack.com/api/',
      listen_host: '127.0.0.1',
      listen_path: '/slack/events',
      max_message_length: 3900,
      senders: [],
    });
  });

  it('enabled needs the bot token variable, and the app token (socket) or the signing secret (http)', () => {
    expect(messages({ enabled: true })).toEqual([
      'slack.bot_token_env: enabled = true needs bot_token_env (e.g. "SLACK_BOT_TOKEN")',
      'slack.app_token_env: mode = "socket" needs app_token_env (e.g. "SLACK_APP_TOKEN")',
    ]);
    expect(messages({ enabled: true, mode: 'http', bot_token_env: 'B' })).toEqual([
      'slack.signing_secret_env: mode = "http" needs signing_secret_env (e.g. "SLACK_SIGNING_SECRET")',
    ]);
    expect(messages({ enabled: true, bot_token_env: 'B', app_token_env: 'A' })).toEqual([]);
  });

  it('takes secrets only by variable name, senders only by Slack user id, each id once', () => {
    expect(messages({ bot_token_env: 'xoxb-123-abc' })[0]).toContain('an environment variable name');
    expect(messages({ senders: [{ platform_ids: ['alice'] }] })[0]).toContain(
      'a Slack user id like "U0123ABCD"',
    );
    expect(
      messages({ senders: [{ platform_ids: ['U0123ABCD'] }, { platform_ids: ['U0123ABCD'] }] })[0],
    ).toContain('one id maps to one user');
    expect(messages({ api_url: 'https://slack.com/api' })[0]).toContain('end it with "/"');
  });
});
