import { describe, expect, it } from 'vitest';
import { chatCommand, withoutMention } from '../src/commands.js';

describe('chat commands', () => {
  it('knows /new, /stop, /cost, /undo, /help and /start, alone or addressed to the bot', () => {
    expect(chatCommand('/new')).toBe('new');
    expect(chatCommand('  /stop  ')).toBe('stop');
    expect(chatCommand('/NEW@oxy_bot')).toBe('new');
    expect(chatCommand('/start')).toBe('help');
    expect(chatCommand('/help me')).toBe('help');
    expect(chatCommand('/newest idea')).toBeUndefined();
    expect(chatCommand('please /stop')).toBeUndefined();
    expect(chatCommand('/undo')).toBe('undo');
    expect(chatCommand('/cost@oxy_bot')).toBe('cost');
    expect(chatCommand('/undoing it')).toBeUndefined();
  });

  it('takes the bot’s mention out of a group message, in any case', () => {
    expect(withoutMention('@oxy_bot what time is it?', '@oxy_bot')).toBe('what time is it?');
    expect(withoutMention('hey @OXY_Bot, help', '@oxy_bot')).toBe('hey , help');
    expect(withoutMention('no mention here', '@oxy_bot')).toBe('no mention here');
    expect(withoutMention('a.b (c)', '')).toBe('a.b (c)');
  });
});
