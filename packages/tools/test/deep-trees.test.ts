/**
 * Trees nested far deeper than any project's: a command makes one in a second
 * (`for i in $(seq 20000); do mkdir d; cd d; done`). The walks of file_delete and of the JS
 * search hold one open folder per level and its path, so memory grew with the square of the
 * depth: 8,000 levels took 1.9 GB and 25 s to delete, and deeper ones ran the process (a
 * gateway serving everyone) out of memory. Both now stop at MAX_WALK_DEPTH levels.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_WALK_DEPTH } from '../src/fs/depth.js';
import { callTool, coreRegistry, makeWorkspace, type Workspace } from './helpers.js';

let ws: Workspace;

/** `deep/d/d/…` with `levels` folders under `deep`, and a file at the bottom; its path. */
function nest(levels: number, file: string, content: string): string {
  const folder = join(ws.root, 'deep', ...Array<string>(levels).fill('d'));
  mkdirSync(folder, { recursive: true });
  const path = join(folder, file);
  writeFileSync(path, content);
  return path;
}

beforeEach(() => {
  ws = makeWorkspace();
});

afterEach(() => ws.cleanup());

describe('file_delete of a deep tree', () => {
  it('stops past MAX_WALK_DEPTH levels, names the folder and the fix, and leaves the depths', async () => {
    const bottom = nest(MAX_WALK_DEPTH + 20, 'bottom.txt', 'x');
    const outcome = await callTool(coreRegistry(), ws.root, 'file_delete', { path: 'deep' });
    expect(outcome.isError).toBe(true);
    expect(outcome.content).toContain(`nested more than ${MAX_WALK_DEPTH} folders deep`);
    expect(outcome.content).toContain('rm -rf');
    expect(existsSync(bottom)).toBe(true);
  });

  it('removes nothing when one branch is too deep: not the files before it, not the shallow folders', async () => {
    // Names sort before and after `deep`: readdir's order is the file system's, so both sides.
    ws.write('tree/a-first.txt', 'x');
    ws.write('tree/a-shallow/kept.txt', 'x');
    ws.write('tree/z-last.txt', 'x');
    const folder = join(ws.root, 'tree', 'deep', ...Array<string>(MAX_WALK_DEPTH + 5).fill('d'));
    mkdirSync(folder, { recursive: true });
    const outcome = await callTool(coreRegistry(), ws.root, 'file_delete', { path: 'tree' });
    expect(outcome.isError).toBe(true);
    for (const kept of ['a-first.txt', 'a-shallow/kept.txt', 'z-last.txt'])
      expect(ws.read(`tree/${kept}`)).toBe('x');
    expect(existsSync(folder)).toBe(true);
    // Before: "file_delete stopped there and left the rest", with what came before the deep branch gone.
    expect(outcome.content).toContain(
      `nested more than ${MAX_WALK_DEPTH} folders deep; file_delete removed nothing`,
    );
  });

  it('deletes a tree exactly MAX_WALK_DEPTH levels deep', async () => {
    nest(MAX_WALK_DEPTH - 1, 'bottom.txt', 'x');
    const outcome = await callTool(coreRegistry(), ws.root, 'file_delete', { path: 'deep' });
    expect(outcome.content).toBe('Deleted folder deep.');
    expect(existsSync(join(ws.root, 'deep'))).toBe(false);
  });
});

describe('file_search (the JS walk) of a deep tree', () => {
  it('searches down to MAX_WALK_DEPTH levels and says which folder it did not enter', async () => {
    nest(MAX_WALK_DEPTH - 1, 'reached.txt', 'needle here\n');
    nest(MAX_WALK_DEPTH + 20, 'unreached.txt', 'needle there\n');
    const registry = coreRegistry({ search: { backend: 'js' } });
    const outcome = await callTool(registry, ws.root, 'file_search', { path: '.', query: 'needle' });
    expect(outcome.isError).toBeFalsy();
    expect(outcome.content).toContain('reached.txt:1: needle here');
    expect(outcome.content).not.toContain('needle there');
    expect(outcome.content).toContain(`not searched: folders nested more than ${MAX_WALK_DEPTH} deep`);
  });
});
