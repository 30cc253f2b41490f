import { describe, expect, it } from 'vitest';
import { GitIgnore } from '../src/search/gitignore.js';
import { globMatcher } from '../src/search/glob-match.js';

// A workspace .gitignore is model-written. Compiled to backtracking regexes, each of these took
// from tens of seconds to hours on the event loop; a hang fails by the timeout.
const HOSTILE_TIMEOUT = 10_000;

describe('globMatcher', () => {
  it('follows gitignore glob rules', () => {
    expect(globMatcher('a*c', false)('abbc')).toBe(true);
    expect(globMatcher('a*c', false)('ab/c')).toBe(false);
    expect(globMatcher('a**c', false)('ab/c')).toBe(true);
    expect(globMatcher('a/**/c', false)('a/c')).toBe(true);
    expect(globMatcher('a/**/c', false)('a/x/y/c')).toBe(true);
    expect(globMatcher('a/**/c', false)('a/xc')).toBe(false);
    expect(globMatcher('?.md', true)('docs/x.md')).toBe(true);
    expect(globMatcher('?.md', false)('docs/x.md')).toBe(false);
    expect(globMatcher('\\*.md', false)('*.md')).toBe(true);
    expect(globMatcher('\\*.md', false)('a.md')).toBe(false);
    expect(globMatcher('[!a]b', false)('cb')).toBe(true);
    expect(globMatcher('[!a]b', false)('ab')).toBe(false);
    // A class never matches a slash; an invalid class is literal text.
    expect(globMatcher('a[/]b', false)('a/b')).toBe(false);
    expect(globMatcher('[z-a]', false)('[z-a]')).toBe(true);
  });

  it(
    'matches many stars against long names in bounded steps',
    () => {
      const stars = globMatcher('*a*a*a*a*a*a*a*a*a*a*a*a*b', true);
      expect(stars('a'.repeat(250))).toBe(false);
      expect(stars(`${'a'.repeat(250)}b`)).toBe(true);
      const folders = globMatcher('**/a**/a**/a**/a**/a**/a**/a**/b', false);
      expect(folders(`${'a/'.repeat(500)}c`)).toBe(false);
      expect(folders(`${'a/'.repeat(500)}b`)).toBe(true);
    },
    HOSTILE_TIMEOUT,
  );
});

describe('GitIgnore on hostile files', () => {
  it(
    'matches a pattern of stars against a long name in bounded steps',
    () => {
      // 27 s with the old regexes at 50 characters, growing as a high power of the length.
      const ignore = new GitIgnore('', '*a*a*a*a*a*a*a*a*b\n');
      expect(ignore.verdict('a'.repeat(50), false)).toBeUndefined();
      expect(ignore.verdict(`${'a'.repeat(50)}b`, false)).toBe(true);
    },
    HOSTILE_TIMEOUT,
  );

  it(
    'reads long runs of spaces and slashes in linear time',
    () => {
      const spaces = new GitIgnore('', `${' '.repeat(60_000)}x\nkept   \n`);
      expect(spaces.verdict('x', false)).toBeUndefined();
      expect(spaces.verdict('kept', false)).toBe(true);
      const slashes = new GitIgnore('', `a${'/'.repeat(60_000)}b/\n`);
      expect(slashes.verdict('a/b', true)).toBeUndefined();
    },
    HOSTILE_TIMEOUT,
  );

  it('ignores patterns over 1,024 characters and reads 64 KiB of a file', () => {
    const ignore = new GitIgnore('', `${'*'.repeat(1_025)}\n${'#'.repeat(70_000)}\nlate\n`);
    expect(ignore.verdict('anything', false)).toBeUndefined();
    expect(ignore.verdict('late', false)).toBeUndefined();
  });
});
