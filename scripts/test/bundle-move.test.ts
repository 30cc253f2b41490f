import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { moveBuilt } from '../bundle-move.mjs';

let scratch: TempWorkspace;
let root: string | undefined;
afterEach(() => {
  if (root) scratch.cleanup();
  root = undefined;
});

describe('moving a build into the bundle folder', () => {
  it('leaves a file with the same bytes as it was (its time too), replaces a changed one, adds a new one', async () => {
    scratch = tempWorkspace({ prefix: 'bundle-move-' });
    root = scratch.dir;
    const [from, to] = [join(root, 'building'), join(root, 'bundle')];
    mkdirSync(from);
    mkdirSync(to);
    const old = new Date('2020-01-01T00:00:00Z');
    const existing: [string, string][] = [
      ['same-abc.mjs', 'same'],
      ['main.mjs', 'old entry'],
    ];
    for (const [name, text] of existing) {
      writeFileSync(join(to, name), text);
      utimesSync(join(to, name), old, old);
    }
    writeFileSync(join(from, 'same-abc.mjs'), 'same');
    writeFileSync(join(from, 'main.mjs'), 'new entry');
    writeFileSync(join(from, 'new-def.mjs'), 'new chunk');

    await moveBuilt(from, to, ['main.mjs', 'new-def.mjs', 'same-abc.mjs'], ['main.mjs', 'main.cjs']);

    // An unchanged file keeps its time: the guest image's tag (a stamp of times) stays the same.
    expect(statSync(join(to, 'same-abc.mjs')).mtimeMs).toBe(old.getTime());
    expect(readFileSync(join(to, 'main.mjs'), 'utf8')).toBe('new entry');
    expect(statSync(join(to, 'main.mjs')).mtimeMs).toBeGreaterThan(old.getTime());
    expect(readFileSync(join(to, 'new-def.mjs'), 'utf8')).toBe('new chunk');
  });
});
