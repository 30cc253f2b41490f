#!/usr/bin/env node
// shell_exec's isolation cost: `true` run through the bubblewrap runner versus run directly
// (both via /bin/sh -c in their own process group, as shell_exec does), interleaved, medians.
// Each command starts --pause-ms (default 50) after the last, as an agent's commands do, seconds
// apart: a sandbox's end then waits out a full kernel RCU grace period (namespace and cgroup
// teardown), which back-to-back runs (--pause-ms 0) share and so understate.
// Target: <= 15 ms added per command. Also reported: network = "allowlist", where a Node bridge
// starts inside the sandbox before the command. Usage: node bench/sandbox.mjs [--runs N]  (needs bwrap)
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BWRAP, createBubblewrapRunner, detectSandbox, NOBODY, sandboxIdentity } from '@oxydra/sandbox';
import { runCommand } from '../packages/tools/dist/process/run-command.js';
import { summarize } from './stats.mjs';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '100' }, 'pause-ms': { type: 'string', default: '50' } },
});
const runs = Number(values.runs);
const pauseMs = Number(values['pause-ms']);
const workspace = mkdtempSync(join(tmpdir(), 'oxydra-bench-sandbox-'));
// What a user pays with the defaults: as root, commands run as an ordinary uid (bwrap started
// through setpriv), so the workspace is handed to it as a person's project would be theirs.
if (process.geteuid?.() === 0) {
  chmodSync(workspace, 0o755);
  chownSync(workspace, NOBODY.uid, NOBODY.gid);
}
const identity = sandboxIdentity(workspace, 'auto');
const detection = detectSandbox(BWRAP, identity);
if (detection.tier !== 'bubblewrap') {
  process.stderr.write(`bench/sandbox: ${detection.degradation}; ${detection.fix ?? ''}\n`);
  process.exit(2);
}
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
// The defaults of [tools.sandbox]: 1024 processes, files up to 1 GiB, a 512 MiB /tmp.
const policy = (network, limits = { processes: 1024, fileSizeMiB: 1024 }) => ({
  readableRoots: [],
  writableRoots: [],
  deniedPaths: [],
  network,
  envAllowlist: ['PATH'],
  limits,
  tmpSizeMiB: 512,
  ...(identity ? { identity } : {}),
});
// As root (this bench's usual user) the process limit is a pids cgroup; an ordinary user gets
// RLIMIT_NPROC instead, which costs nothing measurable: the second runner stands for that case.
const sandboxed = createBubblewrapRunner(policy('off'), { workspace });
const withoutCgroup = createBubblewrapRunner(policy('off', { fileSizeMiB: 1024 }), { workspace });
const allowlisted = createBubblewrapRunner(policy({ allowHosts: ['registry.npmjs.org'] }), { workspace });
const options = { cwd: workspace, env, timeoutMs: 30_000 };
const pause = () => new Promise((resolve) => setTimeout(resolve, pauseMs));
const time = async (runner) => {
  await pause();
  const start = performance.now();
  const result = await runner('true', options);
  if (result.exitCode !== 0) throw new Error(`true exited ${result.exitCode}: ${result.output}`);
  return performance.now() - start;
};
for (let i = 0; i < 5; i++) {
  await time(runCommand);
  await time(sandboxed);
  await time(withoutCgroup);
  await time(allowlisted);
}
const direct = [];
const inSandbox = [];
const noCgroup = [];
const withProxy = [];
for (let i = 0; i < runs; i++) {
  direct.push(await time(runCommand));
  inSandbox.push(await time(sandboxed));
  noCgroup.push(await time(withoutCgroup));
  withProxy.push(await time(allowlisted));
}
rmSync(workspace, { recursive: true, force: true });
const d = summarize(direct);
const s = summarize(inSandbox);
const p = summarize(withProxy);
const n = summarize(noCgroup);
const round = (ms) => Math.round(ms * 1000) / 1000;
const added = round(s.median_ms - d.median_ms);
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'sandbox',
      runs,
      pause_ms: pauseMs,
      direct: d,
      bubblewrap: s,
      added_ms_median: added,
      target: 'added <= 15 ms',
      meets_target: added <= 15,
      bubblewrap_without_pids_cgroup: n,
      without_cgroup_added_ms_median: round(n.median_ms - d.median_ms),
      bubblewrap_network_allowlist: p,
      allowlist_added_ms_median: round(p.median_ms - d.median_ms),
    },
    null,
    2,
  )}\n`,
);
