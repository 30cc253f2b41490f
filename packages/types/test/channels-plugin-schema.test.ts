/**
 * `[channels.plugin.<name>]`: a plugin channel's host settings, checked like a built-in
 * platform's (off by default, no sender listed, each id once, the same limits), its name neither
 * a built-in platform's nor outside letters, digits and "-".
 */
import { describe, expect, it } from 'vitest';
import { channelsSchema } from '../src/config/channels-schema.js';

const parse = (plugin: Record<string, unknown>) => channelsSchema().safeParse({ plugin });
const problems = (plugin: Record<string, unknown>) =>
  parse(plugin).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

describe('[channels.plugin.<name>]', () => {
  it('is empty by default; an entry is off, with no sender, and the shared defaults', () => {
    expect(channelsSchema().parse({}).plugin).toEqual({});
    expect(channelsSchema().parse({ plugin: { matrix: {} } }).plugin.matrix).toEqual({
      enabled: false,
      senders: [],
      unknown_senders: 'ignore',
      max_file_bytes: 20 * 1024 * 1024,
      max_concurrent_turns: 16,
      download_timeout_secs: 300,
    });
  });

  it('checks the senders and limits as every platform does', () => {
    const ok = {
      enabled: true,
      agent: 'helper',
      senders: [{ platform_ids: ['@ada:example.org'], user: 'ada', display_name: 'Ada' }],
    };
    expect(problems({ matrix: ok })).toEqual([]);
    expect(problems({ matrix: { senders: [{ platform_ids: ['x'] }, { platform_ids: ['x'] }] } })).toEqual([
      expect.stringMatching(/^plugin.matrix.senders.1.platform_ids: .*listed in senders 0 and 1/),
    ]);
    expect(problems({ matrix: { senders: [{ platform_ids: [] }] } })).toHaveLength(1);
    expect(problems({ matrix: { senders: [{ platform_ids: ['x'], user: 'has space' }] } })).toHaveLength(1);
    expect(problems({ matrix: { max_concurrent_turns: 0 } })).toHaveLength(1);
    expect(problems({ matrix: { unknown_senders: 'everyone' } })).toHaveLength(1);
    expect(problems({ matrix: { bot_token_env: 'X' } })).toEqual([expect.stringMatching(/bot_token_env/)]);
  });

  it("refuses a built-in platform's name, naming both, and a name outside letters, digits and -", () => {
    expect(problems({ slack: { enabled: true } })).toEqual([
      'plugin.slack: plugin channel "slack" clashes with the built-in channel [channels.slack]; give the plugin\'s channel another name',
    ]);
    expect(problems({ my_chat: {} })).toEqual([
      'plugin.my_chat: plugin channel "my_chat": use 1-64 letters, digits or "-"',
    ]);
    expect(problems({ 'signal-2': {} })).toEqual([]);
  });
});
