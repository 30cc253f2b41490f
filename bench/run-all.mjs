#!/usr/bin/env node
// Run every benchmark in bench/ (each prints one JSON object) and print them as a JSON array.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const skip = new Set([
  'run-all.mjs',
  'stats.mjs',
  'mock-process.mjs',
  'mock-workspace.mjs',
  'channels-env.mjs',
  'channels-platforms.mjs',
  'event-bus-peer.mjs',
]);
const results = [];
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.mjs') && !skip.has(f))
  .sort()) {
  process.stderr.write(`running bench/${file}...\n`);
  const run = spawnSync(process.execPath, [`${dir}${file}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (run.status !== 0) throw new Error(`bench/${file} failed with exit code ${run.status}`);
  results.push(JSON.parse(run.stdout));
}
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
