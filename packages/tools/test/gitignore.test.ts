import { describe, expect, it } from 'vitest';
import { GitIgnore, isIgnored } from '../src/search/gitignore.js';

const root = (text: string) => new GitIgnore('', text);

describe('GitIgnore', () => {
  it('matches names at any depth unless anchored', () => {
    const ignore = root('*.log\n/build\ndocs/tmp\n');
    expect(ignore.verdict('a.log', false)).toBe(true);
    expect(ignore.verdict('deep/down/b.log', false)).toBe(true);
    expect(ignore.verdict('build', true)).toBe(true);
    expect(ignore.verdict('src/build', true)).toBeUndefined();
    expect(ignore.verdict('docs/tmp', true)).toBe(true);
    expect(ignore.verdict('x/docs/tmp', true)).toBeUndefined();
  });

  it('skips comments and blank lines, honours escapes and trailing spaces', () => {
    const ignore = root('# comment\n\n\\#hash\n\\!bang\nspaced   \n');
    expect(ignore.verdict('# comment', false)).toBeUndefined();
    expect(ignore.verdict('#hash', false)).toBe(true);
    expect(ignore.verdict('!bang', false)).toBe(true);
    expect(ignore.verdict('spaced', false)).toBe(true);
  });

  it('applies directory-only patterns to folders only', () => {
    const ignore = root('cache/\n');
    expect(ignore.verdict('cache', true)).toBe(true);
    expect(ignore.verdict('a/cache', true)).toBe(true);
    expect(ignore.verdict('cache', false)).toBeUndefined();
  });

  it('lets later negations re-include', () => {
    const ignore = root('*.env\n!example.env\n');
    expect(ignore.verdict('prod.env', false)).toBe(true);
    expect(ignore.verdict('example.env', false)).toBe(false);
  });

  it('supports ?, [...] and ** globs', () => {
    const ignore = root('file?.txt\n[ab]*.md\n[!x]y.c\nlogs/**/*.gz\n**/tmp\n');
    expect(ignore.verdict('file1.txt', false)).toBe(true);
    expect(ignore.verdict('file10.txt', false)).toBeUndefined();
    expect(ignore.verdict('apple.md', false)).toBe(true);
    expect(ignore.verdict('cherry.md', false)).toBeUndefined();
    expect(ignore.verdict('zy.c', false)).toBe(true);
    expect(ignore.verdict('xy.c', false)).toBeUndefined();
    expect(ignore.verdict('logs/a.gz', false)).toBe(true);
    expect(ignore.verdict('logs/2024/01/a.gz', false)).toBe(true);
    expect(ignore.verdict('other/a.gz', false)).toBeUndefined();
    expect(ignore.verdict('a/b/tmp', true)).toBe(true);
  });

  it('scopes a nested .gitignore to its folder, deeper files winning', () => {
    const ignores = [root('*.tmp\n'), new GitIgnore('pkg', '!keep.tmp\n/local\n')];
    expect(isIgnored(ignores, 'x.tmp', false)).toBe(true);
    expect(isIgnored(ignores, 'pkg/keep.tmp', false)).toBe(false);
    expect(isIgnored(ignores, 'keep.tmp', false)).toBe(true);
    expect(isIgnored(ignores, 'pkg/local', true)).toBe(true);
    expect(isIgnored(ignores, 'local', true)).toBe(false);
  });
});
