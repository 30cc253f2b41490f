/**
 * A workspace that holds the home folder: its secret folders (~/.ssh, ~/.aws, ~/.gnupg) and
 * Oxydra's own (~/.config/oxydra with its keys and trust) are hidden from commands and refused to the
 * file tools, and so never captured by a checkpoint, never put back by a restore, and never copied
 * into a replay's scratch folder (outside the home folder, where nothing masks them).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scratchCopy } from '../src/replay/scratch.js';
import { CheckpointStore, restoreCopy } from '../src/services/checkpoints/index.js';
import { tempFolders } from './temp-folders.js';

describe("a workspace holding the home folder keeps the home folder's secrets out of its checkpoints", () => {
  const { folder, track } = tempFolders('oxydra-secret-folders-');
  const savedHome = process.env.HOME;
  afterEach(() => {
    process.env.HOME = savedHome;
  });
  const write = (root: string, path: string, content: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  const home = (): string => {
    const root = folder();
    write(root, '.ssh/id_ed25519', 'PRIVATE KEY\n');
    write(root, '.aws/credentials', 'aws_secret_access_key = x\n');
    write(root, '.config/oxydra/trust.json', '{}\n');
    write(root, '.config/app.toml', 'theme = "dark"\n');
    write(root, 'notes.txt', 'notes\n');
    return root;
  };
  const treeOf = (store: CheckpointStore, id: string): string[] =>
    execFileSync('git', ['--git-dir', store.gitDir, 'ls-tree', '-r', '--name-only', id], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
    })
      .split('\n')
      .filter(Boolean);

  it('a checkpoint holds none of them, and says they were skipped', async () => {
    const root = home();
    process.env.HOME = root;
    const store = await CheckpointStore.open(root);
    const checkpoint = await store.snapshot('one');
    const tree = treeOf(store, checkpoint.id);
    // Before: .ssh/id_ed25519, .aws/credentials and .config/oxydra/trust.json were in it.
    expect(tree.filter((path) => path !== '.oxydra/checkpoint-manifest.json')).toEqual([
      '.config/app.toml',
      'notes.txt',
    ]);
    expect(checkpoint.skipped).toEqual(['.aws/', '.cache/oxydra/', '.config/oxydra/', '.gnupg/', '.ssh/']);
  });

  it('a restore of a checkpoint that holds them (made before) leaves them as they are now', async () => {
    const root = home();
    process.env.HOME = folder();
    const store = await CheckpointStore.open(root);
    const old = await store.snapshot('the home folder was not this workspace then');
    expect(treeOf(store, old.id)).toContain('.ssh/id_ed25519');
    process.env.HOME = root;
    // The user rotates the key and drops the AWS credentials.
    write(root, '.ssh/id_ed25519', 'NEW KEY\n');
    rmSync(join(root, '.aws'), { recursive: true });

    const report = await store.restore(old.id);

    // Before: the old key was written back over the new one, and the credentials came back.
    expect(readFileSync(join(root, '.ssh/id_ed25519'), 'utf8')).toBe('NEW KEY\n');
    expect(existsSync(join(root, '.aws'))).toBe(false);
    expect(report.written).toEqual([]);
  });

  it("a replay's scratch copy leaves them out", async () => {
    const root = home();
    process.env.HOME = root;
    const scratch = await scratchCopy(root, 'root');
    track(scratch.root);
    // Before: copied, and the copy lies outside the home folder, where the sandbox masks nothing.
    expect(existsSync(join(scratch.workspace, '.ssh'))).toBe(false);
    expect(existsSync(join(scratch.workspace, '.aws'))).toBe(false);
    expect(existsSync(join(scratch.workspace, '.config/oxydra'))).toBe(false);
    expect(readFileSync(join(scratch.workspace, '.config/app.toml'), 'utf8')).toBe('theme = "dark"\n');
  });

  it("a replay's copy put back to a checkpoint that holds them (made before) gets none of them", async () => {
    const root = home();
    process.env.HOME = folder();
    const store = await CheckpointStore.open(root);
    const old = await store.snapshot('the home folder was not this workspace then');
    process.env.HOME = root;
    const copy = join(folder(), 'copy');
    mkdirSync(copy);
    write(copy, 'notes.txt', 'changed in the copy\n');

    await restoreCopy(store, old.id, copy);

    // Before: the copy's own store knew no secret folder, and the restore wrote .ssh and .aws in.
    expect(existsSync(join(copy, '.ssh'))).toBe(false);
    expect(existsSync(join(copy, '.aws'))).toBe(false);
    expect(readFileSync(join(copy, 'notes.txt'), 'utf8')).toBe('notes\n');
  });
});
