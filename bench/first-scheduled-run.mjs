#!/usr/bin/env node
// Issue 31's measure: the time from a fresh clone to a first scheduled run of a local model,
// as a new user does it with the README's no-key setup. Phases, each timed:
//   clone:     git clone of this repository (a local clone: no network);
//   install:   npm ci (the README's first command; it builds every package; the npm cache is
//              whatever this machine has, said in the output);
//   init:      oxydra init --base-url <local server> --model llama3.2 (the README's local-model
//              command), in a new workspace, with a HOME of its own;
//   schedule:  oxydra schedule add --at <in 2 s> "say hello";
//   first run: oxydra scheduler run, until that schedule's first run is recorded completed.
// The local model server is the testkit's mock (`oxydra mock-llm`, OpenAI wire) standing in
// for Ollama: no model download here. Prints JSON.
// Usage: node bench/first-scheduled-run.mjs
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMockProcess } from './mock-process.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'oxydra-first-run-'));
const phases = {};
const timed = (name, work) => {
  const began = performance.now();
  const result = work();
  phases[name] = Math.round(performance.now() - began);
  process.stderr.write(`${name}: ${phases[name]} ms\n`);
  return result;
};
const sh = (command, args, options = {}) => {
  const run = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (run.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${run.status}: ${run.stderr?.slice(-600)}`);
  return run.stdout;
};

try {
  const clone = join(root, 'oxydra');
  timed('clone', () => sh('git', ['clone', '-q', repo, clone]));
  // CI's layout: the shared folder beside the clone (tests need it; the install does not).
  timed('install', () => sh('npm', ['ci', '--no-audit', '--no-fund'], { cwd: clone }));
  const bin = join(clone, 'packages/cli/bin/oxydra.js');
  const scenario = join(root, 'scenario.json');
  writeFileSync(scenario, JSON.stringify([{ reply: { text: 'hello from llama3.2' }, times: 'always' }]));
  const mock = await startMockProcess(bin, scenario);
  const workspace = join(root, 'project');
  mkdirSync(workspace);
  const env = { ...process.env, HOME: join(root, 'home'), OXYDRA_SYSTEM_CONFIG_DIR: join(root, 'etc') };
  const oxydra = (...args) => sh(process.execPath, [bin, ...args], { cwd: workspace, env });
  timed('init', () => oxydra('init', '--base-url', mock.url, '--model', 'llama3.2'));
  const due = new Date(Date.now() + 2000).toISOString();
  timed('schedule', () => oxydra('schedule', 'add', '--at', due, '--name', 'first', 'say hello'));
  const began = performance.now();
  const scheduler = spawn(process.execPath, [bin, 'scheduler', 'run'], {
    cwd: workspace,
    env,
    stdio: 'ignore',
  });
  let runs = [];
  while (performance.now() - began < 120_000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    runs = JSON.parse(oxydra('schedule', 'history', 'first', '--json'));
    if (runs.some((run) => run.status !== 'running')) break;
  }
  phases['first run'] = Math.round(performance.now() - began);
  scheduler.kill('SIGTERM');
  mock.child.kill();
  const status = runs[0]?.status ?? 'none';
  const cached = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
  console.log(
    JSON.stringify(
      {
        bench: 'first-scheduled-run',
        node: process.version,
        phases_ms: phases,
        total_ms: Object.values(phases).reduce((a, b) => a + b, 0),
        first_run_status: status,
        note: `npm cache at ${cached} as this machine has it; the schedule falls due 2 s after it is added, so 'first run' includes up to that wait`,
      },
      null,
      2,
    ),
  );
  if (status !== 'completed') process.exitCode = 1;
} finally {
  rmSync(root, { recursive: true, force: true });
}
