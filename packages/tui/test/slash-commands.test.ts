/** Slash-command parsing and /switch prefix matching. */
import { describe, expect, it } from 'vitest';
import { matchSession, parseLine } from '../src/view/slash-commands.js';

describe('slash commands', () => {
  it('parses each command and its argument', () => {
    expect(parseLine('/new')).toEqual({ kind: 'command', command: { name: 'new' } });
    expect(parseLine('/new  research notes ')).toEqual({
      kind: 'command',
      command: { name: 'new', displayName: 'research notes' },
    });
    expect(parseLine('/sessions')).toEqual({ kind: 'command', command: { name: 'sessions' } });
    expect(parseLine('/switch 0192ab')).toEqual({
      kind: 'command',
      command: { name: 'switch', target: '0192ab' },
    });
    for (const name of ['cancel', 'cancelall', 'status', 'help', 'exit'] as const)
      expect(parseLine(`/${name}`)).toEqual({ kind: 'command', command: { name } });
    expect(parseLine('/quit')).toEqual({ kind: 'command', command: { name: 'exit' } });
  });

  it('explains a wrong command or argument in one line', () => {
    expect(parseLine('/swtich x')).toEqual({
      kind: 'invalid',
      problem: 'unknown command /swtich; /help lists the commands',
    });
    expect(parseLine('/switch')).toMatchObject({
      kind: 'invalid',
      problem: expect.stringContaining('usage: /switch'),
    });
    expect(parseLine('/cancel now')).toEqual({
      kind: 'invalid',
      problem: '/cancel takes no argument; /help lists the commands',
    });
  });

  it('treats other text as a prompt, and // as an escaped leading slash', () => {
    expect(parseLine('hello /new')).toEqual({ kind: 'prompt', text: 'hello /new' });
    expect(parseLine('//etc/passwd is a file')).toEqual({ kind: 'prompt', text: '/etc/passwd is a file' });
  });

  it('matches a session by exact id or unique prefix', () => {
    const ids = ['0192aa-one', '0192ab-two', '0193cc-three'];
    expect(matchSession('0193', ids)).toEqual({ ok: true, id: '0193cc-three' });
    expect(matchSession('0192ab-two', ids)).toEqual({ ok: true, id: '0192ab-two' });
    expect(matchSession('0192', ids)).toEqual({
      ok: false,
      problem: '"0192" matches 2 sessions (0192aa-one, 0192ab-two); type more of the id',
    });
    expect(matchSession('ff', ids)).toEqual({
      ok: false,
      problem: 'no session id starts with "ff"; /sessions lists them',
    });
  });
});
