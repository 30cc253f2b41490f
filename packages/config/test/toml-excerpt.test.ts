/**
 * The offending line under a TOML syntax error, with a caret under the column: through the real
 * parser (smol-toml), so the column is the one it reports. The file may be a cloned repository's
 * (a huge line, terminal controls) and may hold a key: the excerpt stays short, written out, and
 * masked.
 */
import { ConfigError } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { parseTomlText } from '../src/index.js';

function excerptFor(text: string): string | undefined {
  try {
    parseTomlText(text, 'agent.toml');
  } catch (error) {
    if (error instanceof ConfigError) return error.location.excerpt;
    throw error;
  }
  throw new Error(`parsed without an error: ${text}`);
}

describe('the excerpt of a TOML syntax error', () => {
  it('shows the line with a caret under the column', () => {
    expect(excerptFor('[selection]\nmodel = gpt\n')).toBe('2 | model = gpt\n  |         ^');
    expect(excerptFor('[selection\n')).toBe('1 | [selection\n  |           ^');
  });

  it('masks the value of a line that holds a key, the caret on the mask', () => {
    expect(excerptFor('[p]\napi_key = sk-live-4f9a8b7c\n')).toBe('2 | api_key = ********\n  |           ^');
    // A wide value is masked as any other: nothing of it is shown or measured.
    const excerpt = excerptFor('[p]\napi_key = 秘密の鍵-sk-live\n');
    expect(excerpt).toBe('2 | api_key = ********\n  |           ^');
  });

  it('writes controls out, the caret still under the column', () => {
    // A right-to-left override is allowed in a string: written out it takes six columns, and the
    // caret follows. A tab becomes one space, whatever width a terminal would give it.
    expect(excerptFor('a = "\u202ex" b\n')).toBe(`1 | a = "\\u202ex" b\n  | ${' '.repeat(14)}^`);
    expect(excerptFor('a = "\tx" b\n')).toBe('1 | a = " x" b\n  |          ^');
  });

  // The caret is placed by terminal columns: a CJK character or an emoji takes two, a combining
  // mark none. Counting UTF-16 units put it one column short per CJK character.
  it('puts the caret under the column after wide characters', () => {
    // Two CJK characters in a (quoted) key, then a value that does not parse: the caret under
    // the `b`, nine columns in (seven characters).
    expect(excerptFor('"名前" = bad\n')).toBe(`1 | "名前" = bad\n  | ${' '.repeat(9)}^`);
    // In a string before the error: 中文 is four columns, not two.
    expect(excerptFor('a = "中文" b\n')).toBe(`1 | a = "中文" b\n  | ${' '.repeat(11)}^`);
    // An emoji of one code point (two UTF-16 units), a joined family (eight), a flag (four) and
    // a heart with its VS16 (two, of which one a narrow pictograph): two columns each.
    expect(excerptFor('a = "😀" b\n')).toBe(`1 | a = "😀" b\n  | ${' '.repeat(9)}^`);
    expect(excerptFor('a = "👨‍👩‍👧" b\n')).toBe(`1 | a = "👨‍👩‍👧" b\n  | ${' '.repeat(9)}^`);
    expect(excerptFor('a = "🇯🇵❤️" b\n')).toBe(`1 | a = "🇯🇵❤️" b\n  | ${' '.repeat(11)}^`);
    // A combining accent takes no column of its own.
    expect(excerptFor('a = "e\u0301" b\n')).toBe(`1 | a = "e\u0301" b\n  | ${' '.repeat(8)}^`);
    // A tab among wide characters is still one space.
    expect(excerptFor('a = "中\t文" b\n')).toBe(`1 | a = "中 文" b\n  | ${' '.repeat(12)}^`);
  });

  it("never shows half an emoji at the edge of a long line's window", () => {
    const excerpt = excerptFor(`a = "${'😀'.repeat(100)}" b = 1\n`) ?? '';
    const [line = '', caret = ''] = excerpt.split('\n');
    // The rest of the line fits in the window's 80 columns: it is shown to its end.
    expect(line).toMatch(/^1 \| …(😀)+" b = 1$/u);
    // The caret counts the shown emoji as two columns each: it stands under the `b`.
    const before = line.slice(0, line.indexOf(' b =') + 1);
    expect(caret.indexOf('^')).toBe([...before].reduce((width, c) => width + (c === '😀' ? 2 : 1), 0));
  });

  // The window counts terminal columns, not characters: 80 CJK characters took 160 columns.
  it('keeps the window of a line of wide characters to 80 columns, 50 of them before the column', () => {
    const wide = (text: string) =>
      [...text].reduce(
        (width, c) => width + (/[\p{Script=Han}\p{Extended_Pictographic}]/u.test(c) ? 2 : 1),
        0,
      );
    for (const char of ['中', '😀']) {
      const excerpt = excerptFor(`a = "${char.repeat(300)}" b = 1 # ${char.repeat(300)}\n`) ?? '';
      const [line = '', caret = ''] = excerpt.split('\n');
      expect(line).toMatch(/^1 \| ….*…$/u);
      const shown = line.slice('1 | …'.length, -1);
      expect(wide(shown)).toBeLessThanOrEqual(80);
      expect(wide(shown)).toBeGreaterThanOrEqual(79);
      const before = line.slice(0, line.indexOf(' b = 1') + 1);
      expect(caret.indexOf('^')).toBe(wide(before));
      expect(wide(before.slice('1 | …'.length))).toBeLessThanOrEqual(50);
      expect(wide(before.slice('1 | …'.length))).toBeGreaterThanOrEqual(49);
    }
  });

  it('cuts a long line to a window around the column', () => {
    const excerpt = excerptFor(`a = "${'x'.repeat(5000)}" b = 1${' '.repeat(5000)}\n`) ?? '';
    const [line = '', caret = ''] = excerpt.split('\n');
    expect(line.length).toBeLessThan(100);
    expect(line).toMatch(/^1 \| …x+" b = 1 +…$/);
    expect(line[caret.indexOf('^')]).toBe('b');
  });

  it('shows nothing for a blank line: the hint names the line that matters', () => {
    expect(excerptFor('a = [1, 2\n')).toBeUndefined();
  });
});
