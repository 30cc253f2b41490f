import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SESSION_NAME,
  defaultSessionId,
  isDefaultSessionId,
  oneLine,
  SESSION_NAME_CHARS,
  sessionName,
} from '../src/index.js';

const UUID = '01a2022f-3c44-7a01-8d2e-5f0c1e9a0b11';

describe('session names', () => {
  it('call the default session "Default session", whatever its stored title', () => {
    expect(defaultSessionId('alice')).toBe('runtime-alice');
    expect(sessionName({ id: 'runtime-alice', userId: 'alice' })).toBe(DEFAULT_SESSION_NAME);
    // Its first message became its title when the turn was stored; the name stays.
    expect(sessionName({ id: 'runtime-alice', userId: 'alice', title: 'hello there' })).toBe(
      'Default session',
    );
    // Without an owner (a user's own list), the id alone says so.
    expect(sessionName({ id: 'runtime-alice' })).toBe('Default session');
  });

  it('knows another user\'s "runtime-" id is not this owner\'s default session', () => {
    expect(isDefaultSessionId('runtime-bob', 'alice')).toBe(false);
    expect(sessionName({ id: 'runtime-bob', userId: 'alice', title: 'notes' })).toBe('notes');
    expect(isDefaultSessionId('runtime-')).toBe(false);
    expect(isDefaultSessionId(UUID)).toBe(false);
  });

  it('use the title, else the first user message, else the short id', () => {
    expect(sessionName({ id: UUID, title: 'Research', firstUserText: 'hi' })).toBe('Research');
    expect(sessionName({ id: UUID, title: null, firstUserText: 'plan the trip' })).toBe('plan the trip');
    expect(sessionName({ id: UUID, title: ' \n\t ', firstUserText: '' })).toBe('1e9a0b11');
    expect(sessionName({ id: UUID })).toBe('1e9a0b11');
    expect(sessionName({ id: 'tg:42' })).toBe('tg:42');
  });

  it('keep HTML as plain text (the renderer escapes it), on one line', () => {
    const hostile = '<img src=x onerror="alert(1)">\n<script>alert(2)</script>';
    expect(sessionName({ id: UUID, firstUserText: hostile })).toBe(
      '<img src=x onerror="alert(1)"> <script>alert(2)</script>',
    );
  });

  it('remove terminal escapes, control and bidi characters', () => {
    const title =
      '\u001b[31mred\u001b[0m \u001b]8;;https://evil.example\u0007link\u001b]8;;\u0007 bell\u0007 nul\u0000 csi\u009b2J';
    // The C1 CSI byte starts a whole sequence (\x9b 2 J): removed with it, as the terminal would read it.
    expect(sessionName({ id: UUID, title })).toBe('red link bell nul csi');
    // A right-to-left override would show "gpj.exe" as "exe.jpg".
    expect(sessionName({ id: UUID, title: 'photo\u202egpj.exe' })).toBe('photogpj.exe');
    expect(sessionName({ id: UUID, title: 'a\u200bb\ufeffc' })).toBe('abc');
    // Joiners are kept: they make one emoji of three, and Persian words need the non-joiner.
    expect(sessionName({ id: UUID, title: 'family 👨\u200d👩\u200d👧' })).toBe('family 👨\u200d👩\u200d👧');
    expect(sessionName({ id: UUID, title: 'می\u200cخواهم' })).toBe('می\u200cخواهم');
    // Only controls: nothing left, so the next choice names it.
    expect(sessionName({ id: UUID, title: '\u001b[2J\u0007', firstUserText: 'next' })).toBe('next');
  });

  it('clip a long message to one short line without splitting a character', () => {
    const long = `${'word '.repeat(500)}end`;
    const name = sessionName({ id: UUID, firstUserText: long });
    expect([...name]).toHaveLength(SESSION_NAME_CHARS);
    expect(name.endsWith('…')).toBe(true);
    expect(name).not.toMatch(/\s…$/);
    const emoji = '😀'.repeat(200);
    const clipped = sessionName({ id: UUID, title: emoji });
    expect(clipped).toBe(`${'😀'.repeat(SESSION_NAME_CHARS - 1)}…`);
    expect(oneLine('exactly', 7)).toBe('exactly');
    expect(oneLine('exactly!', 7)).toBe('exactl…');
  });
});
