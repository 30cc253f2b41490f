#!/usr/bin/env node
// A runner guest per tier, cold and warm: `runner start` until healthy (cold start), a first and
// a second one-shell-command turn through its gateway (the second is the warm turn), the guest's
// memory while idle (the guest process's RSS; for micro_vm, QEMU's, which holds the VM's RAM),
// and `runner stop`. Against the testkit's mock LLM on the host (the micro-VM reaches it at
// 10.0.2.2). The micro_vm tier needs QEMU and `oxydra runner vm build` (or OXYDRA_MICROVM_DIR);
// without /dev/kvm it runs under TCG, and the JSON says so.
// Usage: node bench/runner-microvm.mjs [--tiers process,micro_vm]   (prints one JSON object)
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startMockLLM } from '@oxydra/testkit';

const { values } = parseArgs({ options: { tiers: { type: 'string', default: 'process,micro_vm' } } });
const bin = fileURLToPath(new URL('../packages/cli/bin/oxydra.js', import.meta.url));

// In order: each turn is one shell command, then the answer.
const step = (n) => [
  { reply: { toolCalls: [{ name: 'shell_exec', arguments: { command: `echo ${n} > turn${n}.txt` } }] } },
  { reply: { text: `done ${n}` } },
];

function oxydra(dir, env, args, timeout = 900_000) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: dir, env, encoding: 'utf8', timeout });
  if (result.status !== 0) throw new Error(`oxydra ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

async function turn(base, token, n) {
  const started = performance.now();
  const reply = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: `turn ${n}` }] }),
  });
  const body = await reply.json();
  if (body.choices?.[0]?.message?.content !== `done ${n}`)
    throw new Error(`turn ${n}: ${JSON.stringify(body)}`);
  return Math.round(performance.now() - started);
}

async function measure(tier) {
  const root = mkdtempSync(join(tmpdir(), `oxydra-bench-${tier}-`));
  // Under root, sandboxed commands run as uid 65534, which must reach the workspace.
  chmodSync(root, 0o755);
  const mock = await startMockLLM({ api: 'openai-chat', scenario: [...step(1), ...step(2)] });
  const env = { PATH: process.env.PATH, HOME: join(root, 'home'), MOCK_KEY: 'sk-bench-0123456789abcdef' };
  if (process.env.OXYDRA_MICROVM_DIR) env.OXYDRA_MICROVM_DIR = process.env.OXYDRA_MICROVM_DIR;
  const dir = join(root, 'project');
  const shared = join(dir, '.oxydra/workspaces/alice/shared');
  mkdirSync(join(shared, '.oxydra'), { recursive: true });
  mkdirSync(join(dir, '.oxydra/users'), { recursive: true });
  writeFileSync(
    join(dir, '.oxydra/runner.toml'),
    `default_tier = "${tier}"\n\n[users.alice]\nconfig_path = "users/alice.toml"\n`,
  );
  writeFileSync(join(dir, '.oxydra/users/alice.toml'), '[credential_refs]\nmock = "MOCK_KEY"\n');
  const host = tier === 'micro_vm' ? '10.0.2.2' : '127.0.0.1';
  writeFileSync(
    join(shared, '.oxydra/agent.toml'),
    `[selection]\nprovider = "mock"\nmodel = "gpt-4o-mini"\n\n[providers.registry.mock]\nprovider_type = "openai"\nbase_url = "${mock.url.replace('127.0.0.1', host)}"\napi_key_env = "MOCK_KEY"\ncatalog_provider = "openai"\n\n[tools]\napproval = "auto"\n\n[checkpoints]\nenabled = false\n`,
  );
  // The process tier guest inherits the runner's environment (the container and VM get the named keys).
  oxydra(dir, env, ['trust', '--yes', dir]);
  try {
    let started = performance.now();
    oxydra(dir, env, ['runner', 'start', '--wait', '900']);
    const cold_start_ms = Math.round(performance.now() - started);
    const status = JSON.parse(oxydra(dir, env, ['runner', 'status', '--json']));
    const base = status.gateway_endpoint.replace(/^ws/, 'http').replace(/\/ws$/, '');
    const token = readFileSync(join(env.HOME, '.config/oxydra/gateway-token'), 'utf8').trim();
    const first_turn_ms = await turn(base, token, 1);
    const warm_turn_ms = await turn(base, token, 2);
    if (!existsSync(join(shared, 'turn2.txt'))) throw new Error('the shell command wrote nothing');
    const rss = spawnSync('ps', ['-o', 'rss=', '-p', String(status.runtime_pid)], {
      encoding: 'utf8',
    }).stdout;
    const idle_guest_rss_mib = Math.round(Number(rss.trim()) / 1024);
    started = performance.now();
    oxydra(dir, env, ['runner', 'stop']);
    const stop_ms = Math.round(performance.now() - started);
    const accel =
      tier === 'micro_vm' ? oxydra(dir, env, ['runner', 'vm', 'status']).match(/KVM|TCG/)?.[0] : undefined;
    return {
      cold_start_ms,
      first_turn_ms,
      warm_turn_ms,
      idle_guest_rss_mib,
      stop_ms,
      ...(accel ? { accel } : {}),
    };
  } finally {
    spawnSync(process.execPath, [bin, 'runner', 'stop'], { cwd: dir, env, timeout: 60_000 });
    await mock.close();
    rmSync(root, { recursive: true, force: true });
  }
}

const results = {};
for (const tier of values.tiers.split(',')) results[tier] = await measure(tier);
const output = {
  bench: 'runner-microvm',
  node: process.version,
  cores: (await import('node:os')).cpus().length,
  results,
};
process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
