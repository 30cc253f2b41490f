#!/usr/bin/env node
// What one `oxydra run` costs a user, this build against another (issue 32: "report each with
// the project's benches against the previous build in the same run"): the real binary, bundled
// as installed, runs one prompt with one tool call (file_read) against the testkit's mock model
// in a process of its own, in a workspace folder per build that keeps its memory file and code
// cache between runs (a user's second and later runs). Runs alternate A/B, B/A so load drifts
// fall on both; the first two runs of each build (code cache, database creation) are left out.
// Wall time from spawn to exit; CPU (user + system) of the whole process from /usr/bin/time
// (Debian package `time`) when present.
// Usage: node bench/run-ab.mjs --baseline-root DIR [--root DIR] [--runs 20]   (prints one JSON object)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mockRunEnv, readNotesScenarioFile, startMockProcess } from './mock-process.mjs';
import { summarize } from './stats.mjs';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    'baseline-root': { type: 'string' },
    runs: { type: 'string', default: '20' },
  },
});
if (!values['baseline-root']) {
  process.stderr.write('usage: node bench/run-ab.mjs --baseline-root DIR [--root DIR] [--runs N]\n');
  process.exit(2);
}
const roots = {
  current: resolve(values.root ?? fileURLToPath(new URL('..', import.meta.url))),
  baseline: resolve(values['baseline-root']),
};
const runs = Number(values.runs);
const TIME = '/usr/bin/time';
const timed = existsSync(TIME);
const work = mkdtempSync(join(tmpdir(), 'oxydra-bench-run-ab-'));
const scenario = readNotesScenarioFile(work);
const { url, child } = await startMockProcess(join(roots.current, 'packages/cli/bin/oxydra.js'), scenario);

const folders = {};
for (const name of Object.keys(roots)) {
  folders[name] = join(work, name);
  mkdirSync(folders[name]);
  writeFileSync(join(folders[name], 'notes.txt'), 'line one\nline two\n');
}

const samples = { current: { wall: [], cpu: [] }, baseline: { wall: [], cpu: [] } };
function once(name, keep) {
  const args = [join(roots[name], 'packages/cli/bin/oxydra.js'), 'run', '--json', 'Read notes.txt'];
  const start = process.hrtime.bigint();
  const run = timed
    ? spawnSync(TIME, ['-f', 'CPU %U %S', process.execPath, ...args], {
        cwd: folders[name],
        env: mockRunEnv(process.env, folders[name], url),
        encoding: 'utf8',
      })
    : spawnSync(process.execPath, args, {
        cwd: folders[name],
        env: mockRunEnv(process.env, folders[name], url),
        encoding: 'utf8',
      });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.status !== 0)
    throw new Error(`${name} (${roots[name]}) exited ${run.status}: ${run.stderr.slice(-400)}`);
  if (!run.stdout.includes('file_read')) throw new Error(`${name}: no file_read call in the output`);
  if (!keep) return;
  samples[name].wall.push(wallMs);
  const cpu = /CPU (\S+) (\S+)/.exec(run.stderr ?? '');
  if (cpu) samples[name].cpu.push((Number(cpu[1]) + Number(cpu[2])) * 1000);
}

try {
  for (let i = 0; i < 2; i++) for (const name of Object.keys(roots)) once(name, false);
  for (let i = 0; i < runs; i++) {
    for (const name of i % 2 ? ['baseline', 'current'] : ['current', 'baseline']) once(name, true);
  }
  const median = (list) => summarize(list).median_ms;
  const report = {
    bench: 'run-ab',
    runs,
    roots,
    wall_ms: { current: summarize(samples.current.wall), baseline: summarize(samples.baseline.wall) },
    wall_ratio: Number((median(samples.current.wall) / median(samples.baseline.wall)).toFixed(3)),
  };
  if (timed) {
    report.cpu_ms = { current: summarize(samples.current.cpu), baseline: summarize(samples.baseline.cpu) };
    report.cpu_ratio = Number((median(samples.current.cpu) / median(samples.baseline.cpu)).toFixed(3));
  }
  process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
} finally {
  child.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
