/**
 * The checkpoint store and a `git pull`, through the real binary and real git. The user works in
 * a clone whose `.gitignore` lists `.oxydra/`; their runs took checkpoints. The author's later
 * commit force-adds files under `.oxydra/checkpoints.git`: a branch naming the author's own
 * commit and its objects (made by git in the author's scratch repository). Git overwrites
 * ignored files a pulled commit tracks, and the store's origin record, untouched, still checks:
 * before, the user's runs were gone from `checkpoints list` and `undo` (they are read from the
 * branch, now the author's) and `checkpoints restore checkpoints` put the author's `notes.md` in
 * place of the user's. Now the branch is not the one Oxydra recorded, and every
 * command stops with a usage error naming the file and the way out.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

let env: AgentEnv;

beforeAll(async () => {
  env = await AgentEnv.start(E2E_APIS[0]!, [
    { reply: { toolCalls: [{ name: 'file_write', arguments: { path: 'notes.md', content: 'agent\n' } }] } },
    { reply: { text: 'done' }, times: 'always' },
  ]);
}, 60_000);
afterAll(() => env.close());

/** Real git, with no system or global config; any owner's folder. */
function git(cwd: string, ...args: string[]): string {
  const result = spawnSync(
    'git',
    ['-c', 'safe.directory=*', '-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args],
    {
      cwd,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: env.sandbox.home, GIT_CONFIG_NOSYSTEM: '1' },
    },
  );
  expect(result.status, `git ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

describe('a git pull into the checkpoint store', () => {
  it("stops list, undo and restore with a usage error; the author's notes.md is never written", async () => {
    const root = join(env.sandbox.root, 'git');
    const bare = join(root, 'upstream.git');
    const authors = join(root, 'authors');
    mkdirSync(root);
    git(root, 'init', '--quiet', '--bare', '-b', 'main', bare);
    git(root, 'clone', '--quiet', bare, authors);
    writeFileSync(join(authors, '.gitignore'), '.oxydra/\n');
    writeFileSync(join(authors, 'notes.md'), 'shipped\n');
    git(authors, 'add', '.gitignore', 'notes.md');
    git(authors, 'commit', '--quiet', '-m', 'start');
    git(authors, 'push', '--quiet', 'origin', 'HEAD:main');

    // The user's clone, where a run writes notes.md (checkpoints before and after it).
    const workspace = env.workspace;
    git(workspace, 'init', '--quiet', '-b', 'main');
    git(workspace, 'remote', 'add', 'origin', bare);
    git(workspace, 'pull', '--quiet', 'origin', 'main');
    expect((await env.run(['run', 'write notes'])).status).toBe(0);
    expect(readFileSync(join(workspace, 'notes.md'), 'utf8')).toBe('agent\n');

    // The author's history, made by git, and force-added under the ignored store.
    const scratch = join(root, 'scratch');
    git(root, 'init', '--quiet', '-b', 'checkpoints', scratch);
    writeFileSync(join(scratch, 'notes.md'), 'author\n');
    git(scratch, 'add', 'notes.md');
    git(scratch, 'commit', '--quiet', '-m', "the author's");
    const store = join(authors, '.oxydra', 'checkpoints.git');
    cpSync(join(scratch, '.git', 'objects'), join(store, 'objects'), { recursive: true });
    cpSync(join(scratch, '.git', 'refs', 'heads'), join(store, 'refs', 'heads'), { recursive: true });
    git(authors, 'add', '-f', '.oxydra/checkpoints.git');
    git(authors, 'commit', '--quiet', '-m', 'tooling');
    git(authors, 'push', '--quiet', 'origin', 'HEAD:main');
    git(workspace, 'pull', '--quiet', 'origin', 'main');

    // Before: list and undo saw no run of the user's (the branch is the author's), and
    // `checkpoints restore checkpoints` wrote "author" into notes.md.
    for (const args of [['checkpoints', 'list'], ['undo'], ['checkpoints', 'restore', 'checkpoints']]) {
      const result = await env.run(args);
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toMatch(
        /checkpoints\.git\/refs\/heads\/checkpoints pointing at [0-9a-f]{40}, where Oxydra never moved it/,
      );
      expect(result.stderr).toContain('aside (Oxydra starts a fresh one); undo history before that is lost');
      expect(result.stderr).not.toContain("the author's");
      expect(result.stderr).not.toMatch(/bug in Oxydra|\n\s+at /);
    }
    expect(readFileSync(join(workspace, 'notes.md'), 'utf8')).toBe('agent\n');
  });
});
