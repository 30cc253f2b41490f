#!/usr/bin/env node
// Persistence-on kernel turns/s, this build against another (issue 32 item 4: ≥ 1,000/s): runs
// bench/kernel-longrun.mjs --persist as a fresh process per sample, alternating this build and
// --baseline-root (e.g. a copy of main's packages with their dist), and reports the medians of
// the interleaved samples, so both builds see the same machine load. --cpu-prof writes one V8
// profile per sample into --prof-dir (to see what a persisted turn pays).
// Usage: node bench/kernel-persist-ab.mjs --baseline-root /tmp/base [--turns 4000] [--rounds 5]
//        [--concurrency 200] [--cpu-prof --prof-dir DIR]                 (prints one JSON object)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { percentile } from './stats.mjs';

const { values } = parseArgs({
  options: {
    'baseline-root': { type: 'string' },
    turns: { type: 'string', default: '4000' },
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '200' },
    'cpu-prof': { type: 'boolean', default: false },
    'prof-dir': { type: 'string', default: 'prof' },
  },
});
const longrun = fileURLToPath(new URL('./kernel-longrun.mjs', import.meta.url));
const here = fileURLToPath(new URL('..', import.meta.url));
const builds = { current: here, ...(values['baseline-root'] ? { baseline: values['baseline-root'] } : {}) };

function sample(root) {
  const flags = [
    '--expose-gc',
    ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['prof-dir']}`] : []),
  ];
  const args = [
    '--persist',
    '--turns',
    values.turns,
    '--every',
    values.turns,
    '--concurrency',
    values.concurrency,
  ];
  const child = spawnSync(process.execPath, [...flags, longrun, ...args, '--root', root], {
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`kernel-longrun failed for ${root}:\n${child.stderr}`);
  const slice = JSON.parse(child.stdout).slices.at(-1);
  return { per_second: slice.per_second, cpu_us_per_turn: slice.cpu_us_per_turn, rss_mb: slice.rss_mb };
}

const samples = Object.fromEntries(Object.keys(builds).map((name) => [name, []]));
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [name, root] of Object.entries(builds)) samples[name].push(sample(root));
}
const median = (list, key) =>
  percentile(
    list.map((s) => s[key]).sort((a, b) => a - b),
    50,
  );
const report = Object.fromEntries(
  Object.entries(samples).map(([name, list]) => [
    name,
    {
      root: builds[name],
      per_second_median: median(list, 'per_second'),
      cpu_us_per_turn_median: median(list, 'cpu_us_per_turn'),
      rss_mb_median: median(list, 'rss_mb'),
      per_second: list.map((s) => s.per_second),
      cpu_us_per_turn: list.map((s) => s.cpu_us_per_turn),
    },
  ]),
);
process.stdout.write(
  `${JSON.stringify({ bench: 'kernel-persist-ab', turns: Number(values.turns), rounds: Number(values.rounds), ...report, target_per_second: 1000 })}\n`,
);
