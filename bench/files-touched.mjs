#!/usr/bin/env node
// How much code one unit of work runs (issue 32's "a small core" targets), read from V8's own
// precise coverage (NODE_V8_COVERAGE) of the unbundled build (OXYDRA_NO_BUNDLE: packages/*/dist),
// so every count is a source module:
//  (a) `oxydra run --json` with one tool call (file_read) against the testkit's mock model in a
//      process of its own: the modules whose code ran (a function of theirs was called), in all
//      and per package (target ≤ 120), and under `loaded` every module whose body ran, i.e. that
//      was imported (target: kernel modules loaded ≤ 40);
//  (b) one gateway turn (POST /v1/chat/completions with one tool call): the modules whose call
//      counts differ between a gateway that served the turn and one that only started and
//      stopped (target ≤ 80).
// Usage: node bench/files-touched.mjs [--root DIR] [--only a|b] [--list]   (prints one JSON object;
// --list adds the module names, to see what a change should stop loading)
// --root measures another checkout's build (e.g. the previous commit's worktree) with this script.
// --second-run measures (a) on a second `oxydra run` in the same folder: the usual case, where
// the memory file exists already (a first run also creates and migrates it).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { mockRunEnv, readNotesScenarioFile, startMockProcess } from './mock-process.mjs';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    only: { type: 'string' },
    list: { type: 'boolean' },
    'second-run': { type: 'boolean' },
  },
});
const root = resolve(values.root ?? fileURLToPath(new URL('..', import.meta.url)));
const bin = join(root, 'packages/cli/bin/oxydra.js');
const packagesUrl = pathToFileURL(join(root, 'packages')).href;
const work = mkdtempSync(join(tmpdir(), 'oxydra-bench-files-'));
const TOKEN = 'bench-files-token-0123456789abcdef';

const scenario = readNotesScenarioFile(work);
const { url, child: mock } = await startMockProcess(bin, scenario);
const result = { bench: 'files-touched', root, node: process.version };
try {
  if (values.only !== 'b') result.oxydra_run = measureRun();
  if (values.only !== 'a') result.gateway_turn = await measureGatewayTurn();
} finally {
  mock.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(result)}\n`);

/** (a) The modules a one-tool `oxydra run` executes. */
function measureRun() {
  const folder = freshWorkspace('run');
  const coverage = join(work, 'cov-run');
  const env = { ...mockRunEnv(process.env, folder, url), OXYDRA_NO_BUNDLE: '1' };
  const runOnce = (runEnv) => {
    const run = spawnSync(process.execPath, [bin, 'run', '--json', 'Read notes.txt'], {
      cwd: folder,
      env: runEnv,
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`oxydra run failed: ${run.stderr}`);
  };
  if (values['second-run']) runOnce(env);
  runOnce({ ...env, NODE_V8_COVERAGE: coverage });
  const loaded = functionCounts(coverage);
  // A module whose body ran but none of whose functions did was only imported, not used.
  const used = [...loaded]
    .filter(([, counts]) => counts.slice(1).some((count) => count > 0))
    .map(([file]) => file);
  return {
    ...(values['second-run'] ? { second_run: true } : {}),
    files: used.length,
    by_package: byPackage(used),
    kernel_modules: kernelModules(used),
    loaded: {
      files: loaded.size,
      by_package: byPackage([...loaded.keys()]),
      kernel_modules: kernelModules([...loaded.keys()]),
      ...(values.list ? { names: [...loaded.keys()].sort() } : {}),
    },
    ...(values.list ? { names: used.sort() } : {}),
  };
}

/** (b) The modules whose call counts one gateway turn changes. */
async function measureGatewayTurn() {
  const idle = await gatewayCoverage('idle', false);
  const turn = await gatewayCoverage('turn', true);
  const touched = [];
  for (const [file, counts] of turn) {
    const before = idle.get(file);
    if (!before || counts.some((count, i) => count !== before[i])) touched.push(file);
  }
  return {
    files: touched.length,
    by_package: byPackage(touched),
    kernel_modules: kernelModules(touched),
    ...(values.list ? { names: touched.sort() } : {}),
  };
}

async function gatewayCoverage(name, withTurn) {
  const folder = freshWorkspace(`gateway-${name}`);
  const coverage = join(work, `cov-gateway-${name}`);
  writeFileSync(join(folder, 'oxydra.toml'), '[tools]\napproval = "auto"\n');
  const port = await freePort();
  const env = {
    ...mockRunEnv(process.env, folder, url),
    NODE_V8_COVERAGE: coverage,
    OXYDRA_NO_BUNDLE: '1',
    OXYDRA_GATEWAY_TOKEN: TOKEN,
  };
  const child = spawn(process.execPath, [bin, 'gateway', '--bind', `127.0.0.1:${port}`], {
    cwd: folder,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  const base = `http://127.0.0.1:${port}`;
  await waitReady(base, () => stderr);
  if (withTurn) {
    const response = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'Read notes.txt' }] }),
    });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`gateway turn failed: ${response.status} ${body}`);
  }
  child.kill('SIGTERM');
  await exited;
  return functionCounts(coverage);
}

async function waitReady(base, stderr) {
  for (let i = 0; i < 300; i++) {
    try {
      const response = await fetch(`${base}/readyz`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the gateway did not become ready: ${stderr()}`);
}

function freshWorkspace(name) {
  const folder = join(work, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'notes.txt'), 'line one\nline two\n');
  return folder;
}

/** Each executed module of ours (packages/*\/dist) → the call counts of its functions, in order. */
function functionCounts(folder) {
  const files = new Map();
  for (const name of readdirSync(folder)) {
    const { result } = JSON.parse(readFileSync(join(folder, name), 'utf8'));
    for (const script of result) {
      if (!script.url.startsWith(packagesUrl) || !script.url.includes('/dist/')) continue;
      if (script.url.includes('/node_modules/')) continue;
      const counts = script.functions.map((fn) => fn.ranges[0]?.count ?? 0);
      if (counts[0] === 0) continue; // parsed, never run
      files.set(relative(join(root, 'packages'), fileURLToPath(script.url)), counts);
    }
  }
  return files;
}

function byPackage(files) {
  const counts = {};
  for (const file of files) {
    const name = file.split('/')[0];
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
}

function kernelModules(files) {
  return files.filter((file) => file.startsWith('kernel/')).length;
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}
