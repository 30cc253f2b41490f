#!/usr/bin/env node
// The runner's isolation tiers against the process tier, measured in the same runs (JSON on
// stdout). One project with a user per tier; each run starts, uses and stops every tier in turn,
// the order alternating run by run so machine load hits all alike; figures are medians of runs:
//   - cold start: `oxydra runner start` until the guest is healthy (wall time of the command);
//   - first turn and warm turn: one chat completion through the guest's gateway in which the
//     model (the testkit's mock LLM on the host; a micro-VM reaches it at 10.0.2.2) has one
//     `shell_exec` run, so the tier's own sandbox is in every turn; warm is the median of TURNS;
//   - idle memory: resident memory of the guest once idle (process: its node; container: its
//     node, the engine's init and conmon apart; micro_vm: QEMU, which holds the VM's RAM);
//   - stop: `oxydra runner stop`.
// `vs_process` gives each tier's ratio and difference to the process tier of the same runs.
// container needs podman and this oxydra's guest image (`oxydra runner image build`); micro_vm
// (opt-in: under QEMU's TCG, without /dev/kvm, one run takes minutes) needs QEMU and
// `oxydra runner vm build` (its folder: OXYDRA_MICROVM_DIR, else ~/.cache/oxydra/microvm).
// Usage: node bench/runner-tiers.mjs [--tiers process,container,micro_vm] [--runs N] [--turns N]
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startMockLLM } from '@oxydra/testkit';
import { summarize } from './stats.mjs';

const { values } = parseArgs({
  options: {
    tiers: { type: 'string', default: 'process,container' },
    runs: { type: 'string', default: '5' },
    turns: { type: 'string', default: '10' },
  },
});
const KNOWN = ['process', 'container', 'micro_vm'];
const asked = values.tiers.split(',').filter(Boolean);
for (const tier of asked) if (!KNOWN.includes(tier)) throw new Error(`--tiers: unknown tier ${tier}`);
// The process tier is the baseline of every ratio: always measured.
const TIERS = ['process', ...asked.filter((tier) => tier !== 'process')];
const RUNS = Number(values.runs);
const TURNS = Number(values.turns);
const BIN = fileURLToPath(new URL('../packages/cli/bin/oxydra.js', import.meta.url));

// Each turn: the user's "bench turn" gets one shell command, its result gets the answer.
const mock = await startMockLLM({
  api: 'openai-chat',
  scenario: [
    {
      match: { lastMessageContains: 'bench turn' },
      times: 'always',
      reply: { toolCalls: [{ name: 'shell_exec', arguments: { command: 'echo ok >> turns.txt' } }] },
    },
    { times: 'always', reply: { text: 'done' } },
  ],
});
const root = mkdtempSync(join(tmpdir(), 'oxydra-bench-tiers-'));
// Under root, the process tier's sandboxed commands run as uid 65534, which must reach the workspace.
chmodSync(root, 0o755);
const env = {
  PATH: process.env.PATH,
  HOME: join(root, 'home'),
  MOCK_KEY: 'sk-bench-0123456789abcdef',
  OXYDRA_MICROVM_DIR:
    process.env.OXYDRA_MICROVM_DIR ??
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'oxydra', 'microvm'),
};
mkdirSync(env.HOME, { recursive: true });

const oxydra = (...args) =>
  spawnSync(process.execPath, [BIN, ...args], { cwd: root, env, encoding: 'utf8', timeout: 900_000 });
const shared = (tier) => join(root, `.oxydra/workspaces/${tier}/shared`);
mkdirSync(join(root, '.oxydra/users'), { recursive: true });
writeFileSync(
  join(root, '.oxydra/runner.toml'),
  `default_tier = "process"\n\n${TIERS.map((tier) => `[users.${tier}]\nconfig_path = "users/${tier}.toml"\n`).join('\n')}`,
);
for (const tier of TIERS) {
  writeFileSync(
    join(root, `.oxydra/users/${tier}.toml`),
    `credential_refs = { mock = "MOCK_KEY" }\n[behavior]\nsandbox_tier = "${tier}"\n`,
  );
  const host = tier === 'micro_vm' ? '10.0.2.2' : '127.0.0.1';
  mkdirSync(join(shared(tier), '.oxydra'), { recursive: true });
  writeFileSync(
    join(shared(tier), '.oxydra/agent.toml'),
    `[selection]\nprovider = "mock"\nmodel = "gpt-4o-mini"\n\n[providers.registry.mock]\nprovider_type = "openai"\nbase_url = "${mock.url.replace('127.0.0.1', host)}"\napi_key_env = "MOCK_KEY"\ncatalog_provider = "openai"\n\n[tools]\napproval = "auto"\n\n[checkpoints]\nenabled = false\n`,
  );
}
const trust = oxydra('trust', '--yes', root);
if (trust.status !== 0) throw new Error(`oxydra trust failed: ${trust.stderr}`);

function rssKib(pid) {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
const children = (pid) =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
const inspect = (name, field) =>
  Number(
    spawnSync('podman', ['inspect', '--format', `{{.State.${field}}}`, name], { encoding: 'utf8' }).stdout,
  );

/** The guest's own processes and the engine's serving it, as host pids. */
function guestPids(tier, status) {
  if (tier !== 'container') return { guest: [status.runtime_pid], engine: [] };
  const init = inspect(status.runtime_container_name, 'Pid');
  return { guest: children(init), engine: [init, inspect(status.runtime_container_name, 'ConmonPid')] };
}

async function turn(base, token) {
  const started = performance.now();
  const reply = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'bench turn' }] }),
  });
  const body = await reply.json();
  if (body.choices?.[0]?.message?.content !== 'done') throw new Error(`turn: ${JSON.stringify(body)}`);
  return performance.now() - started;
}

const sample = () => ({ cold: [], first: [], warm: [], stop: [], guestKib: [], engineKib: [] });
const samples = Object.fromEntries(TIERS.map((tier) => [tier, sample()]));
async function measure(tier) {
  const s = samples[tier];
  let started = performance.now();
  const start = oxydra('runner', 'start', '--user', tier, '--wait', '900');
  if (start.status !== 0) throw new Error(`${tier}: runner start failed: ${start.stderr}`);
  s.cold.push(performance.now() - started);
  const status = JSON.parse(oxydra('runner', 'status', '--json', '--user', tier).stdout);
  const base = status.gateway_endpoint.replace(/^ws/, 'http').replace(/\/ws$/, '');
  // A container or micro-VM guest has a gateway token of its own, kept by the runner in the
  // user's ipc/ folder; the process tier's guest shares the host's.
  const own = join(root, `.oxydra/workspaces/${tier}/ipc/gateway-token`);
  const tokenFile = existsSync(own) ? own : join(env.HOME, '.config/oxydra/gateway-token');
  const token = readFileSync(tokenFile, 'utf8').trim();
  s.first.push(await turn(base, token));
  for (let i = 0; i < TURNS; i++) s.warm.push(await turn(base, token));
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const pids = guestPids(tier, status);
  s.guestKib.push(pids.guest.reduce((sum, pid) => sum + rssKib(pid), 0));
  s.engineKib.push(pids.engine.reduce((sum, pid) => sum + rssKib(pid), 0));
  started = performance.now();
  oxydra('runner', 'stop', '--user', tier);
  s.stop.push(performance.now() - started);
  // Every turn's shell command ran in the tier's sandbox and wrote to the user's folder.
  const lines = readFileSync(join(shared(tier), 'turns.txt'), 'utf8').split('\n').length - 1;
  if (lines !== s.warm.length + s.first.length) throw new Error(`${tier}: ${lines} shell commands ran`);
}

let accel;
try {
  if (TIERS.includes('micro_vm')) accel = oxydra('runner', 'vm', 'status').stdout.match(/KVM|TCG/)?.[0];
  for (let run = 0; run < RUNS; run++) {
    // Rotated each run: no tier always goes first (a cold page cache) or last.
    const order = TIERS.map((_, i) => TIERS[(i + run) % TIERS.length]);
    for (const tier of order) await measure(tier);
  }
} finally {
  for (const tier of TIERS) oxydra('runner', 'stop', '--user', tier);
  await mock.close();
  rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const mib = (kib) => Math.round(kib / 102.4) / 10;
const result = {
  bench: 'runner-tiers',
  node: process.version,
  cores: cpus().length,
  runs: RUNS,
  turns_per_run: TURNS,
  ...(accel ? { micro_vm_accel: accel } : {}),
  tiers: {},
  vs_process: {},
};
for (const tier of TIERS) {
  const s = samples[tier];
  result.tiers[tier] = {
    cold_start: summarize(s.cold),
    first_turn: summarize(s.first),
    warm_turn: summarize(s.warm),
    stop: summarize(s.stop),
    idle_guest_rss_mib: mib(median(s.guestKib)),
    idle_engine_rss_mib: mib(median(s.engineKib)),
  };
}
const p = result.tiers.process;
const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
for (const tier of TIERS.filter((t) => t !== 'process')) {
  const t = result.tiers[tier];
  const vs = (key) => ({
    [`${key}_x`]: round(t[key].median_ms / p[key].median_ms, 2),
    [`${key}_extra_ms`]: round(t[key].median_ms - p[key].median_ms),
  });
  result.vs_process[tier] = {
    ...vs('cold_start'),
    ...vs('first_turn'),
    ...vs('warm_turn'),
    ...vs('stop'),
    idle_extra_mib: round(t.idle_guest_rss_mib + t.idle_engine_rss_mib - p.idle_guest_rss_mib),
  };
}
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
