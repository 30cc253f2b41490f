/**
 * The attack battery, state that arrives with a folder: a repository ships `.oxydra/kernel.db`
 * holding its author's admin token (made by a real `oxydra token add` on the author's machine,
 * with the author's origin record beside it), and `.oxydra/checkpoints.git` whose config runs a
 * program from `git log`. Through the real binary, as a new user would: `oxydra gateway`,
 * `token list`, `checkpoints list`, `undo`, `run`. Nothing of it is used or run; each is set
 * aside (never deleted) with one line saying how to take it back if it is yours. A shipped
 * `.oxydra/gateways` link to a folder outside gets no gateway record written through it.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { marker } from './attack-helpers.js';
import { GatewayDaemon, generatedToken } from './gateway-daemon.js';
import { CliSandbox } from './helpers.js';

let env: AgentEnv | undefined;
let daemon: GatewayDaemon | undefined;
const sandboxes: CliSandbox[] = [];
afterEach(async () => {
  daemon?.kill('SIGKILL');
  await daemon?.exited;
  daemon = undefined;
  await env?.close();
  env = undefined;
  for (const sandbox of sandboxes.splice(0)) sandbox.cleanup();
});

/** The author's machine: their own HOME (and so their own local key) and workspace. */
function authorsKernelDb(): { folder: string; token: string } {
  // Not the run's shared local key (helpers.ts): the victim must hold a key other than the author's.
  const author = new CliSandbox({}, { warm: false });
  sandboxes.push(author);
  const added = author.run('token', 'add', '--user', 'mallory', '--role', 'admin');
  expect(added.status, added.stderr).toBe(0);
  const token = /oxt_[A-Za-z0-9_-]+/.exec(added.stdout)?.[0];
  expect(token, added.stdout).toBeDefined();
  return { folder: join(author.workspace, '.oxydra'), token: token! };
}

/** Copies the author's state into the victim's workspace, as a clone of their repository would. */
function shipInto(workspace: string, from: string): void {
  for (const name of readdirSync(from)) {
    if (!name.startsWith('kernel.db')) continue;
    const target = join(workspace, '.oxydra', name);
    // Owned by the user who cloned it, as git leaves it: only the origin record tells.
    copyFileSync(join(from, name), target);
  }
}

/** A checkpoints.git whose config asks `git log` to verify a signature with `program`. */
function shipCheckpoints(workspace: string, program: string): void {
  const gitDir = join(workspace, '.oxydra', 'checkpoints.git');
  const git = (args: string[], input?: string) =>
    spawnSync('git', args, { env: { ...process.env, GIT_DIR: gitDir, GIT_WORK_TREE: workspace }, input });
  git(['init', '--quiet']);
  const tree = git(['mktree'], '').stdout.toString().trim();
  const commit = git(
    ['hash-object', '-t', 'commit', '-w', '--stdin'],
    `tree ${tree}\nauthor A <a@b> 1 +0000\ncommitter A <a@b> 1 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n AAAA\n -----END PGP SIGNATURE-----\n\nrun: fix everything\n`,
  )
    .stdout.toString()
    .trim();
  git(['update-ref', 'refs/heads/checkpoints', commit]);
  git(['symbolic-ref', 'HEAD', 'refs/heads/checkpoints']);
  writeFileSync(
    join(gitDir, 'config'),
    `[core]\n\trepositoryformatversion = 0\n\tbare = false\n[log]\n\tshowSignature = true\n[gpg]\n\tprogram = ${program}\n[core]\n\tpager = ${program}\n`,
  );
}

const setAsideLines = (stderr: string) => stderr.split('\n').filter((line) => line.includes('set aside'));

describe('state that came with a cloned repository', () => {
  it("a shipped kernel.db's admin token opens nothing: the gateway refuses it and token list does not show it", async () => {
    const author = authorsKernelDb();
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'done' }, times: 'always' }]);
    shipInto(env.workspace, author.folder);
    // doctor reports it and opens nothing: the file is still where it was.
    const doctor = await env.run(['doctor']);
    expect(doctor.stdout).toMatch(
      /state .*kernel\.db did not come from you \(its record was not made with your key/,
    );
    expect(doctor.stdout).toContain('oxydra trust --adopt-state');
    expect(setAsideLines(doctor.stderr)).toEqual([]);
    daemon = await GatewayDaemon.start(env);
    expect(setAsideLines(daemon.stderr).join('\n')).toMatch(
      /set aside .*kernel\.db as kernel\.db\.untrusted-\S+: its record was not made with your key.*oxydra trust --adopt-state/,
    );
    const models = (token: string) =>
      fetch(`${daemon!.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
    expect((await models(author.token)).status).toBe(401);
    // The control: the victim's own token works on the same route.
    expect((await models(generatedToken(env))).status).toBe(200);
    daemon.kill('SIGTERM');
    await daemon.exited;
    daemon = undefined;
    const listed = await env.run(['token', 'list']);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain('mallory');
    // Set aside, not deleted: the file is still there for whoever it belongs to.
    expect(
      readdirSync(join(env.workspace, '.oxydra')).some((name) => name.startsWith('kernel.db.untrusted-')),
    ).toBe(true);
  });

  it('a shipped checkpoints.git runs nothing under checkpoints list, undo or run', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'done' }, times: 'always' }]);
    const ran = join(env.sandbox.root, marker('gpg'));
    const program = join(env.sandbox.root, 'evil.sh');
    writeFileSync(program, `#!/bin/sh\necho ran >> ${ran}\n`);
    chmodSync(program, 0o755);
    shipCheckpoints(env.workspace, program);
    const list = await env.run(['checkpoints', 'list']);
    expect(existsSync(ran), 'the repository program ran').toBe(false);
    expect(list.stdout).not.toContain('fix everything');
    expect(setAsideLines(list.stderr)).toHaveLength(1);
    expect(list.stderr).toMatch(/set aside .*checkpoints\.git .*Oxydra has no record of creating it for you/);
    const undo = await env.run(['undo']);
    expect(undo.stderr).not.toMatch(/Error:|\n\s+at /);
    const run = await env.run(['run', 'hello']);
    expect(run.status, run.stderr).toBe(0);
    expect(existsSync(ran), 'the repository program ran').toBe(false);
    // The fresh store is the user's own: the next command sets nothing aside.
    const again = await env.run(['checkpoints', 'list']);
    expect(setAsideLines(again.stderr)).toEqual([]);
  });

  it('a shipped .oxydra/gateways link gets no record written through it: the gateway refuses to start, naming it', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'done' }, times: 'always' }]);
    const outside = join(env.sandbox.root, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(env.workspace, '.oxydra', 'gateways'));
    // Before: it started and wrote `<pid>.json` into the folder outside.
    const result = await GatewayDaemon.start(env).then(
      (running) => {
        daemon = running;
        return 'listening';
      },
      (error: Error) => error.message,
    );
    expect(readdirSync(outside)).toEqual([]);
    expect(result).toMatch(/the gateway exited \(2\)/);
    expect(result).toMatch(/gateways is a symbolic link: a gateway records itself only in a real folder/);
    expect(result).not.toMatch(/\n\s+at /);
    const status = await env.run(['status']);
    expect(status.stderr).not.toMatch(/\n\s+at /);
  });
});
