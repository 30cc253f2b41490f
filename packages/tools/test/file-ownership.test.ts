/**
 * As root, the file tools leave a person's project theirs: a new file or folder takes the owner
 * of the folder it is made in, a replaced file keeps its owner (and its mode). Root is needed to
 * give files away, so this runs only as root (CI); as an ordinary user the kernel already makes
 * every new file the user's and nothing here applies.
 */
import { chmodSync, chownSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callTool, coreRegistry, makeWorkspace, type Workspace } from './helpers.js';

const IS_ROOT = process.geteuid?.() === 0;
const ALICE = { uid: 4242, gid: 4343 };

let ws: Workspace;
const registry = coreRegistry();
const call = (name: string, args: Record<string, unknown>) => callTool(registry, ws.root, name, args);
const owner = (relative: string) => {
  const info = statSync(join(ws.root, relative));
  return { uid: info.uid, gid: info.gid };
};

beforeEach(() => {
  ws = makeWorkspace();
  if (IS_ROOT) chownSync(ws.root, ALICE.uid, ALICE.gid);
});
afterEach(() => ws.cleanup());

describe.skipIf(!IS_ROOT)('file tools running as root keep the workspace owner’s files theirs', () => {
  it('a new file and the folders made for it belong to the owner of the folder they are made in', async () => {
    const outcome = await call('file_write', { path: 'src/deep/new.ts', content: 'x\n' });
    expect(outcome.isError).toBe(false);
    expect(owner('src')).toEqual(ALICE);
    expect(owner('src/deep')).toEqual(ALICE);
    expect(owner('src/deep/new.ts')).toEqual(ALICE);
  });

  it('an edited or replaced file keeps its owner and its mode, whoever owns the folder', async () => {
    const path = ws.write('run.sh', '#!/bin/sh\necho old\n');
    chownSync(path, 777, 778);
    chmodSync(path, 0o750);
    await call('file_edit', { path: 'run.sh', old_text: 'old', new_text: 'new' });
    expect(owner('run.sh')).toEqual({ uid: 777, gid: 778 });
    expect(statSync(path).mode & 0o777).toBe(0o750);
    await call('file_write', { path: 'run.sh', content: 'replaced\n' });
    expect(owner('run.sh')).toEqual({ uid: 777, gid: 778 });
  });

  it("root's own workspace stays root's", async () => {
    chownSync(ws.root, 0, 0);
    await call('file_write', { path: 'a/b.txt', content: 'x' });
    expect(owner('a/b.txt')).toEqual({ uid: 0, gid: 0 });
  });
});
