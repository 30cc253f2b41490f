#!/usr/bin/env node
// The runner's isolation tiers against each other (JSON on stdout): for the process and the
// container tier, interleaved run by run so machine load hits both alike,
//   - cold start: `oxydra runner start` until the guest is healthy (wall time of the command);
//   - warm turn: one chat completion through the running guest's gateway (a text reply from the
//     testkit's mock LLM), median of TURNS after one warm-up;
//   - idle memory: resident memory of the guest's node process once idle (container: plus the
//     engine's per-container processes, conmon and the init).
// The container tier needs podman and this oxydra's guest image (`oxydra runner image build`).
// Usage: node bench/runner-tiers.mjs [--runs N] [--turns N]
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMockLLM } from '@oxydra/testkit';
import { summarize } from './stats.mjs';

const BIN = fileURLToPath(new URL('../packages/cli/bin/oxydra.js', import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('--runs', 5);
const TURNS = arg('--turns', 10);
const TIERS = ['process', 'container'];

const mock = await startMockLLM({
  api: 'openai-chat',
  scenario: [{ times: 100_000, reply: { text: 'ok' } }],
});
const root = mkdtempSync(join(tmpdir(), 'oxydra-bench-tiers-'));
const env = { PATH: process.env.PATH, HOME: join(root, 'home'), MOCK_KEY: 'sk-bench-0123456789' };
mkdirSync(env.HOME, { recursive: true });

const oxydra = (...args) => spawnSync(process.execPath, [BIN, ...args], { cwd: root, env, encoding: 'utf8' });
const agentToml = `[selection]\nprovider = "mock"\nmodel = "gpt-4o-mini"\n\n[providers.registry.mock]\nprovider_type = "openai"\nbase_url = "${mock.url}"\napi_key_env = "MOCK_KEY"\ncatalog_provider = "openai"\n`;
writeFileSync(join(root, 'agent.toml'), agentToml);
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
  const config = join(root, `.oxydra/workspaces/${tier}/shared/.oxydra`);
  mkdirSync(config, { recursive: true });
  copyFileSync(join(root, 'agent.toml'), join(config, 'agent.toml'));
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

/** The guest's node process and the engine processes serving it, as host pids. */
function guestPids(tier, status) {
  if (tier === 'process') return { guest: [status.runtime_pid], engine: [] };
  const name = status.runtime_container_name;
  const init = Number(
    spawnSync('podman', ['inspect', '--format', '{{.State.Pid}}', name], { encoding: 'utf8' }).stdout,
  );
  const conmon = Number(
    spawnSync('podman', ['inspect', '--format', '{{.State.ConmonPid}}', name], { encoding: 'utf8' }).stdout,
  );
  return { guest: children(init), engine: [init, conmon] };
}

async function turn(base, token) {
  const started = performance.now();
  const reply = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await reply.json();
  if (reply.status !== 200) throw new Error(`turn failed: ${reply.status}`);
  return performance.now() - started;
}

const samples = Object.fromEntries(
  TIERS.map((tier) => [tier, { cold: [], turn: [], guestKib: [], engineKib: [] }]),
);
try {
  for (let run = 0; run < RUNS; run++) {
    for (const tier of run % 2 === 0 ? TIERS : [...TIERS].reverse()) {
      const started = performance.now();
      const start = oxydra('runner', 'start', '--user', tier, '--wait', '120');
      const cold = performance.now() - started;
      if (start.status !== 0) throw new Error(`${tier}: runner start failed: ${start.stderr}`);
      samples[tier].cold.push(cold);
      const status = JSON.parse(oxydra('runner', 'status', '--json', '--user', tier).stdout);
      const base = status.gateway_endpoint.replace(/^ws/, 'http').replace(/\/ws$/, '');
      const token = readFileSync(join(env.HOME, '.config/oxydra/gateway-token'), 'utf8').trim();
      await turn(base, token);
      for (let i = 0; i < TURNS; i++) samples[tier].turn.push(await turn(base, token));
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const pids = guestPids(tier, status);
      samples[tier].guestKib.push(pids.guest.reduce((sum, pid) => sum + rssKib(pid), 0));
      samples[tier].engineKib.push(pids.engine.reduce((sum, pid) => sum + rssKib(pid), 0));
      oxydra('runner', 'stop', '--user', tier);
    }
  }
} finally {
  for (const tier of TIERS) oxydra('runner', 'stop', '--user', tier);
  await mock.close();
  rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const result = { runs: RUNS, turns_per_run: TURNS, tiers: {} };
for (const tier of TIERS) {
  const s = samples[tier];
  result.tiers[tier] = {
    cold_start: summarize(s.cold),
    warm_turn: summarize(s.turn),
    idle_guest_rss_mib: Math.round(median(s.guestKib) / 102.4) / 10,
    idle_engine_rss_mib: Math.round(median(s.engineKib) / 102.4) / 10,
  };
}
const p = result.tiers.process;
const c = result.tiers.container;
result.container_vs_process = {
  cold_start_extra_ms: Math.round(c.cold_start.median_ms - p.cold_start.median_ms),
  warm_turn_extra_ms: Math.round((c.warm_turn.median_ms - p.warm_turn.median_ms) * 10) / 10,
  idle_extra_mib: Math.round((c.idle_guest_rss_mib + c.idle_engine_rss_mib - p.idle_guest_rss_mib) * 10) / 10,
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
