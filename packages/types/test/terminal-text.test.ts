import { describe, expect, it } from 'vitest';
import {
  hasTerminalControls,
  TerminalSafeStream,
  terminalSafe,
  visibleControls,
  visibleLine,
} from '../src/index.js';

describe('terminalSafe', () => {
  it('removes whole escape sequences, controls and bidi characters, keeping newlines and tabs', () => {
    const text =
      'a\u001b[31mb\u001b[0m c\u001b]52;c;cm0gLXJmIH4=\u0007d \u001b]8;;https://evil\u001b\\e\u001b]8;;\u001b\\ ' +
      'f\u0007g\u0000h\u009b2Ji \u202egnp.exe\u202c\tj\r\nk\rl\u200bm\ufeffn\u200dz';
    expect(terminalSafe(text)).toBe('ab cd e fghi gnp.exe\tj\nk\nlmn\u200dz');
  });

  it('leaves plain text as it is and says when text needs it', () => {
    expect(terminalSafe('plain text, émoji 👩‍💻, 中文')).toBe('plain text, émoji 👩‍💻, 中文');
    expect(hasTerminalControls('plain')).toBe(false);
    expect(hasTerminalControls('a\u001b[2Jb')).toBe(true);
    expect(hasTerminalControls('a\rb')).toBe(true);
  });

  it('stays linear on hostile input (unterminated string commands, long parameter runs)', () => {
    const hostile = `${'\u001b]'.repeat(20_000)}${'\u001b['.repeat(20_000)}${'1;'.repeat(50_000)}`;
    const safe = terminalSafe(hostile);
    expect(safe).not.toContain('\u001b');
  });
});

describe('TerminalSafeStream', () => {
  it('makes a carriage return split across pieces one line break, and a trailing one at the end', () => {
    const stream = new TerminalSafeStream();
    expect(stream.push('one\r') + stream.push('\ntwo\r') + stream.push('three\r') + stream.end()).toBe(
      'one\ntwo\nthree\n',
    );
  });
});

describe('visibleControls', () => {
  it('writes every control and invisible character out as an escape, so an approval shows what runs', () => {
    expect(visibleControls('ls\u001b[8m; rm -rf ~\r\u202eexe')).toBe('ls\\x1b[8m; rm -rf ~\\r\\u202eexe');
    expect(visibleControls('echo "a\tb"\nnext')).toBe('echo "a\tb"\nnext');
  });
});

describe('visibleLine', () => {
  it('keeps text on one line of ours: controls and line breaks written out, tabs kept, idempotent', () => {
    const key = 'ev\u001b]0;PWNED\u0007il\n\u009b2J\u2028x\ty';
    const shown = visibleLine(key);
    expect(shown).toBe('ev\\x1b]0;PWNED\\x07il\\n\\x9b2J\\u2028x\ty');
    expect(visibleLine(shown)).toBe(shown);
    expect(visibleLine('plain: émoji 👩‍💻, 中文')).toBe('plain: émoji 👩‍💻, 中文');
  });
});
