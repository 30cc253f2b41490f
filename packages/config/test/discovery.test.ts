import { chmodSync, chownSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverWorkspace } from '../src/index.js';
import { makeSandbox, type Sandbox } from './helpers.js';

let sandbox: Sandbox;
afterEach(() => sandbox?.cleanup());

const IS_ROOT = process.getuid?.() === 0;
const OTHER_UID = 12345;

describe('workspace discovery', () => {
  it('finds the .oxydra/ of a folder above, as git finds .git', () => {
    sandbox = makeSandbox();
    mkdirSync(join(sandbox.workspace, '.oxydra'));
    const deep = join(sandbox.workspace, 'src', 'lib');
    mkdirSync(deep, { recursive: true });
    expect(discoverWorkspace(deep, { env: sandbox.env })).toEqual({ root: sandbox.workspace, notes: [] });
  });

  it('stops at a sticky, world-writable folder and says what it ignored there', () => {
    sandbox = makeSandbox();
    const shared = join(sandbox.root, 'shared');
    mkdirSync(join(shared, '.oxydra'), { recursive: true });
    chmodSync(shared, 0o1777);
    const mine = join(shared, 'mine');
    mkdirSync(mine);
    const found = discoverWorkspace(mine, { env: sandbox.env });
    expect(found.root).toBe(mine);
    expect(found.notes).toEqual([expect.stringMatching(/ignored .*shared\/\.oxydra: .* is sticky/)]);
  });

  it('stops at a world-writable folder that is not sticky', () => {
    sandbox = makeSandbox();
    const open = join(sandbox.root, 'open');
    mkdirSync(join(open, '.oxydra'), { recursive: true });
    chmodSync(open, 0o777);
    const inner = join(open, 'inner');
    mkdirSync(inner);
    expect(discoverWorkspace(inner, { env: sandbox.env }).root).toBe(inner);
  });

  it.skipIf(!IS_ROOT)("never adopts another user's .oxydra/ above the start (needs root to chown)", () => {
    sandbox = makeSandbox();
    const parent = join(sandbox.root, 'parent');
    mkdirSync(join(parent, '.oxydra'), { recursive: true });
    chownSync(join(parent, '.oxydra'), OTHER_UID, OTHER_UID);
    const child = join(parent, 'child');
    mkdirSync(child);
    const found = discoverWorkspace(child, { env: sandbox.env });
    expect(found.root).toBe(child);
    expect(found.notes).toEqual([expect.stringMatching(/belongs to uid 12345, not you/)]);
  });

  it.skipIf(!IS_ROOT)(
    "as an ordinary user, a root-owned .oxydra/ above is adopted, another user's is not (needs root to chown)",
    () => {
      sandbox = makeSandbox();
      const parent = join(sandbox.root, 'parent');
      const child = join(parent, 'child');
      mkdirSync(join(parent, '.oxydra'), { recursive: true });
      mkdirSync(child);
      chownSync(child, OTHER_UID, OTHER_UID);
      // parent and its .oxydra belong to root: root's configuration is trusted like a system one.
      expect(discoverWorkspace(child, { env: sandbox.env, uid: OTHER_UID }).root).toBe(parent);
      chownSync(join(parent, '.oxydra'), 4242, 4242);
      expect(discoverWorkspace(child, { env: sandbox.env, uid: OTHER_UID }).root).toBe(child);
    },
  );

  it('never follows a .oxydra that is a symbolic link', () => {
    sandbox = makeSandbox();
    const target = join(sandbox.root, 'elsewhere');
    mkdirSync(target);
    const parent = join(sandbox.root, 'parent');
    mkdirSync(join(parent, 'child'), { recursive: true });
    symlinkSync(target, join(parent, '.oxydra'));
    const found = discoverWorkspace(join(parent, 'child'), { env: sandbox.env });
    expect(found.root).toBe(join(parent, 'child'));
    expect(found.notes[0]).toMatch(/symbolic link/);
  });

  it('never adopts the folder holding home folders, nor the filesystem root', () => {
    sandbox = makeSandbox();
    const homes = join(sandbox.root, 'homes');
    const home = join(homes, 'alice');
    mkdirSync(join(homes, '.oxydra'), { recursive: true });
    mkdirSync(join(home, 'project'), { recursive: true });
    const found = discoverWorkspace(join(home, 'project'), { env: { ...sandbox.env, HOME: home } });
    expect(found.root).toBe(join(home, 'project'));
    expect(found.notes[0]).toMatch(/holding home folders/);
  });
});
