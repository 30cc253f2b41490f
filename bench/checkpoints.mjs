#!/usr/bin/env node
// Workspace checkpoints (shadow git history under .oxydra/checkpoints.git), measured on real
// files under os.tmpdir():
//   (a) a snapshot of a 1,000-file workspace (~2 KB files in nested folders) after 10 files
//       changed, median of 15 runs (target <= 50 ms);
//   (b) the first snapshot of a 10,000-file workspace;
//   (c) a restore that rewrites 10 changed files in the 1,000-file workspace;
//       The store lives as long as the bench and nobody else snapshots its workspace;
//   (a2) the same with a store opened afresh each time (open + snapshot), as each `oxydra run`
//       process does (nothing remembered in memory), on a second workspace;
//   (a3) a long-lived store on that second workspace snapshotting right after (a2)'s fresh store
//       did (another process moved the branch since this store's last snapshot), as a gateway's
//       store does after an `oxydra run` in the same workspace;
//   (d) (a) and (b) done with isomorphic-git, when it is installed outside the repo
//       (mkdir /tmp/isogit && cd /tmp/isogit && npm i isomorphic-git), to justify the choice;
// plus, as baselines in the same run, the cost of spawning `node -e 0` and `git --version`.
// With --baseline DIR (another build's packages/kernel/dist, e.g. a copy of the previous commit's
// placed inside this checkout so its imports resolve), (a) and (a2) also run against that build
// on twin workspaces, interleaved round by round, under `baseline`. CPU figures are this
// process's and its git children's, per snapshot.
// Usage: npx tsc -b packages/kernel && node bench/checkpoints.mjs [--runs 15] [--isogit /tmp/isogit]
//        [--baseline DIR] [--interleaved-only: (a), (a2) and (a3) alone]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CheckpointStore } from '../packages/kernel/dist/services/checkpoints/index.js';
import { summarize } from './stats.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    isogit: { type: 'string', default: '/tmp/isogit' },
    baseline: { type: 'string' },
    'interleaved-only': { type: 'boolean' },
  },
});
const runs = Number(values.runs);
const log = (message) => process.stderr.write(`[checkpoints] ${message}\n`);
const scratch = mkdtempSync(join(tmpdir(), 'oxydra-bench-checkpoints-'));

/** `count` files of 2 KB in nested folders. */
function makeWorkspace(name, count) {
  const root = join(scratch, name);
  for (let i = 0; i < count; i++) {
    const dir = join(root, folderOf(i));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `file-${i}.ts`), fileBody(i, 0));
  }
  return root;
}

function fileBody(i, version) {
  const line = `export const value${i} = ${version}; // ${'x'.repeat(40)}\n`;
  return line.repeat(Math.ceil(2048 / line.length)).slice(0, 2048);
}

/** Ten files per folder, three levels: 1,000 files fill 100 folders, 10,000 fill 1,000. */
function folderOf(i) {
  return join(
    `pkg-${Math.floor(i / 1000)}`,
    `mod-${Math.floor(i / 100) % 10}`,
    `dir-${Math.floor(i / 10) % 10}`,
  );
}

function filePath(root, i) {
  return join(root, folderOf(i), `file-${i}.ts`);
}

/** Rewrites 10 files spread over the workspace with a new version number. */
function touchTen(root, count, round) {
  for (let k = 0; k < 10; k++) {
    const i = (round * 97 + k * 101) % count;
    writeFileSync(filePath(root, i), fileBody(i, round + 1));
  }
}

/**
 * CPU time of this process and its finished children (git), in ms, from /proc (Linux; 10 ms
 * ticks, so read around many runs): on a shared machine wall time mostly measures the others.
 */
function cpuMs() {
  try {
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    // utime, stime, cutime, cstime are fields 14-17 of the whole line (11-14 after the name).
    return [11, 12, 13, 14].reduce((sum, at) => sum + Number(fields[at]), 0) * 10;
  } catch {
    return Number.NaN;
  }
}

async function time(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function spawnBaseline(command, args) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    spawnSync(command, args, { stdio: 'ignore' });
    samples.push(performance.now() - start);
  }
  return summarize(samples);
}

/**
 * (a), (a2) and (a3) for the builds given (name → CheckpointStore), each on workspaces of its
 * own, interleaved: every round changes ten files in each and snapshots them in turn.
 */
async function measureSnapshots(builds) {
  const names = Object.keys(builds);
  const per = (make) => Object.fromEntries(names.map((name) => [name, make(name)]));
  // `own`: a long-lived store nobody else snapshots; `shared`: fresh stores and a long-lived one.
  const own = per((name) => makeWorkspace(`snap-${name}`, 1000));
  const shared = per((name) => makeWorkspace(`shared-${name}`, 1000));
  const ownStores = {};
  const sharedStores = {};
  for (const name of names) {
    ownStores[name] = await builds[name].open(own[name]);
    await ownStores[name].snapshot('first', { kind: 'bench' });
    sharedStores[name] = await builds[name].open(shared[name]);
    await sharedStores[name].snapshot('first', { kind: 'bench' });
  }
  const samples = per(() => ({ warm: [], fresh: [], afterOther: [] }));
  const cpu = per(() => ({ warm: 0, fresh: 0, afterOther: 0 }));
  const measure = async (name, kind, fn) => {
    const cpuBefore = cpuMs();
    samples[name][kind].push(await time(fn));
    cpu[name][kind] += cpuMs() - cpuBefore;
  };
  for (let round = 0; round < runs; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      touchTen(own[name], 1000, round);
      await measure(name, 'warm', () => ownStores[name].snapshot(`round ${round}`, { kind: 'bench' }));
    }
    for (const name of order) {
      touchTen(shared[name], 1000, 200 + round);
      await measure(name, 'fresh', async () => {
        const store = await builds[name].open(shared[name]);
        await store.snapshot(`fresh ${round}`, { kind: 'bench' });
      });
    }
    for (const name of order) {
      touchTen(shared[name], 1000, 400 + round);
      await measure(name, 'afterOther', () =>
        sharedStores[name].snapshot(`after another ${round}`, { kind: 'bench' }),
      );
    }
  }
  const perRun = (ms) => Math.round((ms / runs) * 10) / 10;
  return Object.fromEntries(
    names.map((name) => [
      name,
      {
        snapshot_1k_after_10_changes: { ...summarize(samples[name].warm), target_median_ms: 50 },
        snapshot_1k_cpu_ms_with_git_children: perRun(cpu[name].warm),
        snapshot_1k_after_10_changes_fresh_store: { ...summarize(samples[name].fresh), target_median_ms: 50 },
        snapshot_1k_fresh_store_cpu_ms_with_git_children: perRun(cpu[name].fresh),
        snapshot_1k_after_another_process: summarize(samples[name].afterOther),
        snapshot_1k_after_another_process_cpu_ms_with_git_children: perRun(cpu[name].afterOther),
      },
    ]),
  );
}

async function measureGitBinary() {
  log('git binary: building a 1,000-file workspace');
  const small = makeWorkspace('bin-1k', 1000);
  const store = await CheckpointStore.open(small);
  const firstSmall = await time(() => store.snapshot('first', { kind: 'bench' }));
  const snapshotMs = [];
  for (let round = 0; round < runs; round++) {
    touchTen(small, 1000, round);
    snapshotMs.push(await time(() => store.snapshot(`round ${round}`, { kind: 'bench' })));
  }
  log('git binary: restores and live diffs');
  const base = await store.snapshot('restore base', {});
  const restoreMs = [];
  const changedSinceMs = [];
  let written = 0;
  for (let round = 0; round < runs; round++) {
    touchTen(small, 1000, 100 + round);
    changedSinceMs.push(await time(() => store.changedSince(base.id)));
    restoreMs.push(
      await time(async () => {
        written = (await store.restore(base.id)).written.length;
      }),
    );
  }
  log('git binary: first snapshot of a 10,000-file workspace');
  const large = makeWorkspace('bin-10k', 10000);
  const largeStore = await CheckpointStore.open(large);
  const firstLarge = await time(() => largeStore.snapshot('first', {}));
  touchTen(large, 10000, 0);
  const secondLarge = await time(() => largeStore.snapshot('second', {}));
  return {
    snapshot_1k_after_10_changes: { ...summarize(snapshotMs), target_median_ms: 50 },
    first_snapshot_1k_ms: round(firstSmall),
    first_snapshot_10k_ms: round(firstLarge),
    snapshot_10k_after_10_changes_ms: round(secondLarge),
    restore_10_changed_in_1k: { ...summarize(restoreMs), files_written: written },
    changed_since_10_changed_in_1k: summarize(changedSinceMs),
  };
}

async function measureIsomorphicGit() {
  let git;
  try {
    const require = createRequire(join(values.isogit, 'package.json'));
    git = require('isomorphic-git');
  } catch {
    return { skipped: `isomorphic-git not found under ${values.isogit}` };
  }
  const author = { name: 'Oxydra checkpoints', email: 'checkpoints@oxydra.invalid' };
  // The same shape as the store: a private git dir inside the workspace, the workspace as work tree.
  const open = async (dir) => {
    const gitdir = join(dir, '.oxydra', 'iso.git');
    await git.init({ fs, dir, gitdir, defaultBranch: 'checkpoints' });
    mkdirSync(join(gitdir, 'info'), { recursive: true });
    writeFileSync(join(dir, '.gitignore'), '/.oxydra/\n');
    return gitdir;
  };
  const snapshot = async (dir, gitdir, message) => {
    const cache = {};
    const matrix = await git.statusMatrix({ fs, dir, gitdir, cache });
    const toAdd = [];
    for (const [filepath, , workdir, stage] of matrix) {
      if (workdir === 0 && stage !== 0) await git.remove({ fs, dir, gitdir, filepath, cache });
      else if (workdir !== 0 && workdir !== stage) toAdd.push(filepath);
    }
    if (toAdd.length > 0) await git.add({ fs, dir, gitdir, filepath: toAdd, cache });
    return git.commit({ fs, dir, gitdir, message, author, cache });
  };
  log('isomorphic-git: 1,000-file workspace');
  const small = makeWorkspace('iso-1k', 1000);
  const smallGit = await open(small);
  const firstSmall = await time(() => snapshot(small, smallGit, 'first'));
  const snapshotMs = [];
  for (let round = 0; round < runs; round++) {
    touchTen(small, 1000, round);
    snapshotMs.push(await time(() => snapshot(small, smallGit, `round ${round}`)));
  }
  log('isomorphic-git: first snapshot of a 10,000-file workspace');
  const large = makeWorkspace('iso-10k', 10000);
  const largeGit = await open(large);
  const firstLarge = await time(() => snapshot(large, largeGit, 'first'));
  log(`isomorphic-git: 10k first snapshot took ${round(firstLarge)} ms`);
  return {
    version: git.version(),
    snapshot_1k_after_10_changes: summarize(snapshotMs),
    first_snapshot_1k_ms: round(firstSmall),
    first_snapshot_10k_ms: round(firstLarge),
    note: 'no full modes, empty dirs or size limit here: the bare minimum (stage + commit) only',
  };
}

async function baselineStore(dist) {
  const url = pathToFileURL(join(resolve(dist), 'services/checkpoints/index.js')).href;
  return (await import(url)).CheckpointStore;
}

function round(ms) {
  return Math.round(ms * 1000) / 1000;
}

try {
  log('baselines: spawning node -e 0 and git --version');
  const gitVersion = spawnSync('git', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const result = {
    bench: 'checkpoints',
    node: process.version,
    git: gitVersion,
    runs,
    baseline_spawn_node_e_0: spawnBaseline(process.execPath, ['-e', '0']),
    baseline_spawn_git_version: spawnBaseline('git', ['--version']),
    ...(values['interleaved-only'] ? {} : { git_binary: await measureGitBinary() }),
    snapshots_interleaved: await measureSnapshots({
      current: CheckpointStore,
      ...(values.baseline ? { baseline: await baselineStore(values.baseline) } : {}),
    }),
    ...(values['interleaved-only'] ? {} : { isomorphic_git: await measureIsomorphicGit() }),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
