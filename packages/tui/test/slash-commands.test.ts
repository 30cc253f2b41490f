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

  it('matches a session by exact id, short id (the tail) or unique prefix', () => {
    const one = '01a2022f-3c44-7a01-8d2e-5f0c1e9a0b11';
    const two = '01a2022f-3c44-7a02-9e11-77aa42c0ffee';
    const ids = [one, two, '0193cc-three'];
    expect(matchSession('42c0ffee', ids)).toEqual({ ok: true, id: two });
    expect(matchSession('0193', ids)).toEqual({ ok: true, id: '0193cc-three' });
    expect(matchSession(one, ids)).toEqual({ ok: true, id: one });
    expect(matchSession('01a2022f', ids)).toEqual({
      ok: false,
      problem: 'session id "01a2022f" matches 2 sessions (1e9a0b11, 42c0ffee); type one of these short ids',
    });
    expect(matchSession('ff', ids)).toEqual({
      ok: false,
      problem: 'no session "ff"; /sessions lists them',
    });
  });
});
