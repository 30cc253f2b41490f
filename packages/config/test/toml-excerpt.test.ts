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
  });

  it('writes controls out, the caret still under the column', () => {
    // A right-to-left override is allowed in a string: written out it takes six columns, and the
    // caret follows. A tab becomes one space, whatever width a terminal would give it.
    expect(excerptFor('a = "\u202ex" b\n')).toBe(`1 | a = "\\u202ex" b\n  | ${' '.repeat(14)}^`);
    expect(excerptFor('a = "\tx" b\n')).toBe('1 | a = " x" b\n  |          ^');
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
