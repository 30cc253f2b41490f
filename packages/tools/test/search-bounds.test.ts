/**
 * What a search holds is bounded, whatever a command wrote. ripgrep had no file-size cap and
 * each match kept its whole line: one 600 MB line (under the sandbox's 1 GiB file limit) made
 * a JSON event longer than a JavaScript string may be, and the RangeError escaped as an
 * uncaught exception (the end of a gateway serving everyone); 200 matches of 8 MB lines held
 * 1.6 GB. Both backends now skip files over MAX_SEARCHED_FILE_BYTES and keep at most
 * MAX_MATCH_TEXT_CHARS of a matching line.
 */
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { searchWithJs } from '../src/search/js-search.js';
import { searchWithRg } from '../src/search/rg-search.js';
import { MAX_MATCH_TEXT_CHARS, MAX_SEARCHED_FILE_BYTES } from '../src/search/types.js';
import { callTool, coreRegistry, makeWorkspace, type Workspace } from './helpers.js';

const hasRg = spawnSync('rg', ['--version']).status === 0;

let ws: Workspace;
beforeEach(() => {
  ws = makeWorkspace();
});
afterEach(() => ws.cleanup());

describe.each([
  { backend: 'js' as const, search: searchWithJs, available: true },
  { backend: 'rg' as const, search: searchWithRg('rg'), available: hasRg },
])('file_search with the $backend backend', ({ backend, search, available }) => {
  it.skipIf(!available)('skips a file over MAX_SEARCHED_FILE_BYTES', async () => {
    ws.write('huge.txt', `${'a'.repeat(MAX_SEARCHED_FILE_BYTES)}needle\n`);
    ws.write('small.txt', 'needle\n');
    const registry = coreRegistry({ search: { backend } });
    const outcome = await callTool(registry, ws.root, 'file_search', { path: '.', query: 'needle' });
    expect(outcome.content).toBe('small.txt:1: needle');
  });

  it.skipIf(!available)('keeps at most MAX_MATCH_TEXT_CHARS of a matching line', async () => {
    ws.write('long.txt', `needle${'b'.repeat(1024 * 1024)}\n`);
    const result = await search({
      root: realpathSync(ws.root),
      target: '.',
      query: 'needle',
      maxMatches: 10,
      signal: new AbortController().signal,
    });
    expect(result.matches).toHaveLength(1);
    expect(result.matches[0]?.text.startsWith('needlebbb')).toBe(true);
    expect(result.matches[0]?.text.length).toBeLessThanOrEqual(MAX_MATCH_TEXT_CHARS);
  });
});
