// scripts/smoke-installed.mjs's harness (not a check itself): the throwaway folder and HOME every
// `oxydra` it runs gets, a named check that counts failures, and the installed binary run to its
// end, started as a daemon, or serving the mock model; workspaces set up as their owner would.
// Importing it makes the folder; nothing it started outlives the smoke.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const root = mkdtempSync(join(tmpdir(), 'oxydra-smoke-'));
// As root, commands run as the workspace's owner or "nobody": let "nobody" reach the workspace.
chmodSync(root, 0o755);
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  spawnSync('tmux', ['-L', `oxydra-smoke-${process.pid}`, 'kill-server'], { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
});
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const env = { ...process.env, HOME: join(root, 'home'), OXYDRA_SYSTEM_CONFIG_DIR: join(root, 'etc') };
let failures = 0;

export async function check(name, body) {
  const began = performance.now();
  try {
    const detail = await body();
    process.stdout.write(
      `ok   ${name} (${Math.round(performance.now() - began)} ms)${detail ? `: ${detail}` : ''}\n`,
    );
  } catch (error) {
    failures++;
    process.stdout.write(`FAIL ${name}: ${error.message}\n`);
  }
}

export function oxydra(args, cwd, extraEnv = {}) {
  const result = spawnSync('oxydra', args, {
    cwd,
    env: { ...env, ...extraEnv },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `oxydra ${args[0]} exited ${result.status}: ${(result.stderr || result.stdout).trim().slice(-400)}`,
    );
  }
  return result.stdout;
}

export function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts a long-running `oxydra` command; resolves once `ready()` says so. */
export async function startDaemon(args, cwd, ready, extraEnv = {}) {
  const child = spawn('oxydra', args, {
    cwd,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`oxydra ${args[0]} exited: ${output.trim().slice(-400)}`);
    const value = await ready(output);
    if (value) return { child, value };
    await sleep(50);
  }
  throw new Error(`oxydra ${args[0]} did not become ready: ${output.trim().slice(-400)}`);
}

export async function startMock(api, steps) {
  const scenario = join(root, `scenario-${api}.json`);
  writeFileSync(scenario, JSON.stringify({ steps }));
  const port = await freePort();
  const { child } = await startDaemon(
    ['mock-llm', '--api', api, '--scenario', scenario, '--port', String(port)],
    root,
    async () => {
      try {
        await fetch(`http://127.0.0.1:${port}/`);
        return true;
      } catch {
        return false;
      }
    },
  );
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

/**
 * A workspace set up as its owner would: the config written, then trusted with `oxydra trust
 * --yes` (its provider address is a key that needs trust; see docs/security.md, Workspace trust).
 */
export function workspace(name, config) {
  const dir = join(root, name);
  mkdirSync(join(dir, '.oxydra'), { recursive: true });
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, '.oxydra', 'agent.toml'), config);
  oxydra(['trust', '--yes'], dir);
  return dir;
}

export const providerConfig = (type, url) => `[selection]
provider = "mock"
model = "${type === 'anthropic' ? 'claude-sonnet-4-5' : type === 'gemini' ? 'gemini-2.5-flash' : 'gpt-4o-mini'}"

[providers.registry.mock]
provider_type = "${type}"
base_url = "${url}"
api_key = "sk-smoke-0123456789"
`;

/** How many checks failed so far. */
export function failureCount() {
  return failures;
}
