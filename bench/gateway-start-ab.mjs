#!/usr/bin/env node
// `oxydra gateway`'s start-up, this build against another, start by start (bench/gateway.mjs
// section a measures one build; on a shared machine its single runs swing by more than the
// changes being measured). Each pair starts both builds, in alternating order so load drifts
// fall on both: a new workspace (its databases created: the first start a user meets) and then
// the same workspace again (warm), each to the first /readyz 200, and `node -e 0` once, the
// floor any Node process pays here. Each build has a HOME of its own, its code cache made by
// two warm-up starts that are not counted. Reports medians, the ratio to `node -e 0`, the
// median of the paired ratios (current / baseline), and the main thread's CPU time until ready
// (/proc/<pid>/schedstat, less swayed by other processes than wall time).
// Usage: node bench/gateway-start-ab.mjs --baseline-root DIR [--root DIR] [--pairs 21]
// (both trees built with `npm run build`; prints one JSON object)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startMockProcess } from './mock-process.mjs';
import { mockWorkspace } from './mock-workspace.mjs';
import { summarize } from './stats.mjs';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    'baseline-root': { type: 'string' },
    pairs: { type: 'string', default: '21' },
  },
});
if (!values['baseline-root']) {
  process.stderr.write(
    'usage: node bench/gateway-start-ab.mjs --baseline-root DIR [--root DIR] [--pairs N]\n',
  );
  process.exit(2);
}
const pairs = Number(values.pairs);
const work = mkdtempSync(join(tmpdir(), 'oxydra-bench-gateway-ab-'));
const builds = ['current', 'baseline'].map((name) => {
  const root = resolve(
    name === 'current'
      ? (values.root ?? fileURLToPath(new URL('..', import.meta.url)))
      : values['baseline-root'],
  );
  const bin = join(root, 'packages/cli/bin/oxydra.js');
  if (!existsSync(bin)) throw new Error(`${bin}: no such file (build it first)`);
  const env = {
    ...process.env,
    HOME: join(work, name, 'home'),
    OXYDRA_SYSTEM_CONFIG_DIR: join(work, name, 'etc'),
    OXYDRA_GATEWAY_TOKEN: 'bench-gateway-token-0123456789',
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}`,
  };
  return { name, bin, env, fresh: [], warm: [], freshCpu: [] };
});
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const scenario = join(work, 'scenario.json');
writeFileSync(scenario, JSON.stringify({ steps: [{ reply: { text: 'ok' }, times: 'always' }] }));
const mock = await startMockProcess(builds[0].bin, scenario);
children.add(mock.child);

const freePort = () =>
  new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });

/** The main thread's CPU time so far, in ms (schedstat's first field is nanoseconds on the CPU). */
const cpuMs = (pid) => Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;

/** One start of `build`'s `oxydra gateway` in `dir`, as a command: ms to /readyz 200 and CPU ms. */
async function start(build, dir) {
  const port = await freePort();
  const args = ['gateway', '--bind', `127.0.0.1:${port}`, '--log-format', 'json'];
  const begin = performance.now();
  const child = spawn(build.bin, args, { cwd: dir, env: build.env, stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(child);
  const exited = new Promise((done) => child.once('exit', done));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  for (;;) {
    if (gone) throw new Error(`${build.name}: oxydra gateway exited during start-up`);
    const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
    if (response?.status === 200) break;
    await new Promise((done) => setTimeout(done, 2));
  }
  const ms = performance.now() - begin;
  const cpu = cpuMs(child.pid);
  child.kill('SIGTERM');
  await exited;
  children.delete(child);
  return { ms, cpu };
}

let workspaces = 0;
const newWorkspace = (build) =>
  mockWorkspace(join(work, build.name, `ws-${workspaces++}`), mock.url, '', build.env, build.bin);

for (const build of builds) for (let i = 0; i < 2; i++) await start(build, newWorkspace(build));
const floor = [];
for (let pair = 0; pair < pairs; pair++) {
  for (const build of pair % 2 === 0 ? builds : [...builds].reverse()) {
    const dir = newWorkspace(build);
    const fresh = await start(build, dir);
    build.fresh.push(fresh.ms);
    build.freshCpu.push(fresh.cpu);
    build.warm.push((await start(build, dir)).ms);
  }
  const began = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  floor.push(performance.now() - began);
}

const median = (xs) => summarize(xs).median_ms;
const round = (x, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const paired = (key) => median(builds[0][key].map((x, i) => x / builds[1][key][i]));
const nodeMs = median(floor);
const result = { pairs, node_e_0_ms: round(nodeMs, 1) };
for (const build of builds) {
  result[build.name] = {
    fresh_ms: round(median(build.fresh), 1),
    fresh_ratio_to_node_e_0: round(median(build.fresh) / nodeMs),
    warm_ms: round(median(build.warm), 1),
    warm_ratio_to_node_e_0: round(median(build.warm) / nodeMs),
    fresh_cpu_ms: round(median(build.freshCpu), 1),
  };
}
result.paired_current_over_baseline = {
  fresh: round(paired('fresh'), 3),
  warm: round(paired('warm'), 3),
  fresh_cpu: round(paired('freshCpu'), 3),
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
