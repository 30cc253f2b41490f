/**
 * The attack battery, state that arrives by `git pull` into a folder the user already works in.
 * The user's `.oxydra/kernel.db` is theirs, with their origin record beside it. The repository
 * ignores `.oxydra/kernel.db*`, and a later commit force-adds the author's kernel.db (with its
 * `-wal` and `-shm`, holding the author's admin token): git overwrites ignored files a pulled
 * commit tracks, without a word, and leaves the user's `kernel.db.origin` beside the author's
 * file. Until November 2026 that record still checked and `oxydra token list` showed the
 * author's token. Real binary, real git, two clones of one repository. Also the upgrade: a
 * database an earlier Oxydra made (a record, no id inside) is trusted once and bound then.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localMac } from '@oxydra/config';
import { afterEach, describe, expect, it } from 'vitest';
import { CliSandbox, onKernelDb } from './helpers.js';

const sandboxes: CliSandbox[] = [];
afterEach(() => {
  for (const sandbox of sandboxes.splice(0)) sandbox.cleanup();
});

function sandbox(options: { warm?: boolean } = {}): CliSandbox {
  const made = new CliSandbox({}, options);
  sandboxes.push(made);
  return made;
}

/** Real git, with no system or global config (the test's own HOME); any owner's folder. */
function git(cwd: string, home: string, ...args: string[]): string {
  const result = spawnSync(
    'git',
    ['-c', 'safe.directory=*', '-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args],
    { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1' } },
  );
  expect(result.status, `git ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

describe('state that a git pull puts over your own', () => {
  it("a pulled kernel.db replacing yours is set aside: token list does not show the author's token", () => {
    const upstream = sandbox({ warm: false });
    const home = upstream.home;
    const bare = join(upstream.root, 'upstream.git');
    git(upstream.root, home, 'init', '--quiet', '--bare', '-b', 'main', bare);

    // The author's repository, first without state: a .gitignore that ignores the database.
    const authors = join(upstream.root, 'authors-clone');
    git(upstream.root, home, 'clone', '--quiet', bare, authors);
    writeFileSync(join(authors, '.gitignore'), '.oxydra/kernel.db*\n');
    git(authors, home, 'add', '.gitignore');
    git(authors, home, 'commit', '--quiet', '-m', 'ignore state');
    git(authors, home, 'push', '--quiet', 'origin', 'HEAD:main');

    // The user clones it and works in it: their own kernel.db, their own token.
    const user = sandbox();
    git(user.workspace, home, 'clone', '--quiet', bare, '.');
    const own = user.run('token', 'add', '--user', 'alice', '--role', 'admin');
    expect(own.status, own.stderr).toBe(0);
    const state = join(user.workspace, '.oxydra');
    expect(readdirSync(state)).toContain('kernel.db.origin');

    // The author, on their machine (their own key), makes a token, then force-adds their database.
    const added = upstream.run('token', 'add', '--user', 'mallory', '--role', 'admin');
    expect(added.status, added.stderr).toBe(0);
    mkdirSync(join(authors, '.oxydra'));
    const shipped = readdirSync(join(upstream.workspace, '.oxydra')).filter((name) =>
      /^kernel\.db(-wal|-shm)?$/.test(name),
    );
    expect(shipped).toContain('kernel.db');
    for (const name of shipped) {
      copyFileSync(join(upstream.workspace, '.oxydra', name), join(authors, '.oxydra', name));
    }
    git(authors, home, 'add', '-f', ...shipped.map((name) => `.oxydra/${name}`));
    git(authors, home, 'commit', '--quiet', '-m', 'add state');
    git(authors, home, 'push', '--quiet', 'origin', 'HEAD:main');

    // The pull replaces the user's ignored database without a word; their record stays.
    git(user.workspace, home, 'pull', '--quiet', 'origin', 'main');
    expect(readFileSync(join(state, 'kernel.db'))).toEqual(
      readFileSync(join(upstream.workspace, '.oxydra', 'kernel.db')),
    );
    expect(readdirSync(state)).toContain('kernel.db.origin');

    const listed = user.run('token', 'list');
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain('mallory');
    expect(listed.stderr).toMatch(
      /set aside .*kernel\.db as kernel\.db\.untrusted-\S+: it is not the database your record was made for.*oxydra trust --adopt-state/,
    );
    expect(readdirSync(state).some((name) => name.startsWith('kernel.db.untrusted-'))).toBe(true);
    // The fresh database is the user's own: the next command sets nothing aside.
    const again = user.run('token', 'list');
    expect(again.stderr).not.toContain('set aside');
  });

  it('a database an earlier Oxydra recorded is kept on upgrade, and bound to its record from then on', () => {
    const user = sandbox();
    const own = user.run('token', 'add', '--user', 'alice', '--role', 'admin');
    expect(own.status, own.stderr).toBe(0);
    // As the previous version left it: no id inside, a record MAC'd under the old tag.
    const path = join(user.workspace, '.oxydra', 'kernel.db');
    onKernelDb(user.workspace, 'DROP TABLE IF EXISTS oxydra_origin');
    const id = 'ab'.repeat(16);
    const mac = localMac(['oxydra-state-origin-v1', 'kernel.db', id], user.env);
    writeFileSync(`${path}.origin`, `${id} ${mac}\n`, { mode: 0o600 });

    const listed = user.run('token', 'list');
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('alice');
    expect(listed.stderr).not.toContain('set aside');
    // The first open by this version wrote the record's id into the database...
    expect(onKernelDb(user.workspace, 'SELECT id FROM oxydra_origin')).toEqual([[id]]);
    // ...and a new record, which no longer accepts a database without it.
    expect(readFileSync(`${path}.origin`, 'utf8')).not.toContain(mac);
    onKernelDb(user.workspace, 'DROP TABLE oxydra_origin');
    const after = user.run('token', 'list');
    expect(after.stdout).not.toContain('alice');
    expect(after.stderr).toMatch(/set aside .*kernel\.db .*it is not the database your record was made for/);
  });
});
