#!/usr/bin/env node
// Cold start of `oxydra --version` and `oxydra --help` against `node -e 0` on the same machine.
// Runs are interleaved (node, version, help, node, ...) so machine noise hits all three alike;
// the median of each is reported with its ratio to Node's own start-up. Target: under 2x.
// Usage: node bench/cli-startup.mjs [--runs N]   (prints one JSON object)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summarize } from './stats.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '40' } } });
const runs = Number(values.runs);
const bin = fileURLToPath(new URL('../packages/cli/bin/oxydra.js', import.meta.url));

const commands = {
  node_e_0: ['-e', '0'],
  oxydra_version: [bin, '--version'],
  oxydra_help: [bin, '--help'],
};

function timeOnce(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}`);
  return elapsed;
}

const samples = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
for (const args of Object.values(commands)) timeOnce(args); // warm the page cache once
for (let i = 0; i < runs; i++) {
  for (const [name, args] of Object.entries(commands)) samples[name].push(timeOnce(args));
}

const results = Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, summarize(list)]));
const baseline = results.node_e_0.median_ms;
for (const name of ['oxydra_version', 'oxydra_help']) {
  results[name].ratio_to_node = Math.round((results[name].median_ms / baseline) * 100) / 100;
}
const output = {
  benchmark: 'cli-startup',
  node: process.version,
  runs,
  target: 'median under 2x node -e 0',
  results,
  meets_target: results.oxydra_version.ratio_to_node < 2 && results.oxydra_help.ratio_to_node < 2,
};
process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
