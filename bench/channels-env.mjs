// Shared by the channel benchmarks (not one itself): `oxydra channels run`, the real binary as a
// child process, answering a testkit fake of the platform (bench/channels-platforms.mjs: the fake
// Telegram Bot API by default, or the fake Slack) with the testkit's mock model, both served from
// the benchmark's own process so it can time and count everything on the platform's side. Each
// chat is a direct chat of one allowlisted sender, who is their own kernel user (as
// `[[channels.<name>.senders]]` maps them).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMockLLM } from '@oxydra/testkit';
import { FIRST_SENDER, platforms } from './channels-platforms.mjs';
import { mockWorkspace } from './mock-workspace.mjs';

const bin = fileURLToPath(new URL('../packages/cli/bin/oxydra.js', import.meta.url));
/** Telegram sender i's id (FIRST_SENDER + i); their private chat has that id. */
export const chatOf = (index) => FIRST_SENDER + index;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the platform's fake (`platform`: "telegram" or "slack"; `api` is the fake itself,
 * `platform` its driver), the mock model (`steps`, the testkit's scenario format) and a trusted
 * workspace allowing `senders` chats. `spawn()` starts `oxydra channels run` (resolving once it
 * says it is answering); `kill()` SIGKILLs it; `stop()` ends everything and removes the folder.
 */
export async function startChannelsEnv({
  senders,
  steps,
  platform: platformName = 'telegram',
  label = 'channels',
  log = () => {},
}) {
  const start = platforms[platformName];
  if (!start) throw new Error(`unknown platform "${platformName}" (${Object.keys(platforms).join(', ')})`);
  const root = mkdtempSync(join(tmpdir(), `oxydra-bench-${label}-`));
  const env = {
    ...process.env,
    HOME: join(root, 'home'),
    OXYDRA_SYSTEM_CONFIG_DIR: join(root, 'etc'),
  };
  mkdirSync(env.HOME, { recursive: true });
  const platform = await start();
  Object.assign(env, platform.env);
  const api = platform.fake;
  const mock = await startMockLLM({ api: 'openai-chat', scenario: steps });
  const workspace = mockWorkspace(
    join(root, 'ws'),
    mock.url,
    `
[reliability]
backoff_base_ms = 1
backoff_max_ms = 1
${platform.toml(senders)}`,
    env,
  );

  let child;
  let stderr = '';
  const children = new Set();
  process.on('exit', () => {
    for (const c of children) c.kill('SIGKILL');
  });

  /** Starts `oxydra channels run`; resolves with its pid once it answers. */
  async function spawnChannels(nodeArgs = []) {
    const started = Date.now();
    const c = spawn(process.execPath, [...nodeArgs, bin, 'channels', 'run'], {
      cwd: workspace,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.add(c);
    c.once('exit', () => children.delete(c));
    child = c;
    let own = '';
    c.stderr.setEncoding('utf8').on('data', (chunk) => {
      own += chunk;
      stderr = (stderr + chunk).slice(-20_000);
      for (const line of chunk.split('\n')) if (line.trim()) log(`oxydra: ${line}`);
    });
    for (;;) {
      if (own.includes('answering as @')) break;
      if (c.exitCode !== null || c.signalCode !== null)
        throw new Error(`oxydra channels run exited ${c.exitCode ?? c.signalCode}: ${own.slice(-2000)}`);
      if (Date.now() - started > 60_000) throw new Error(`oxydra channels run did not start: ${own}`);
      await sleep(20);
    }
    return { pid: c.pid, startMs: Date.now() - started };
  }

  /** Ends the running process with `signal`; resolves with its exit code (null after a signal). */
  async function signal(name) {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return null;
    const exited = new Promise((resolve) => c.once('exit', (code) => resolve(code)));
    c.kill(name);
    return exited;
  }

  /** RSS of the running process from /proc (bytes). */
  function rss() {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
  }

  async function stop() {
    await signal('SIGKILL');
    await platform.close();
    await mock.close();
    rmSync(root, { recursive: true, force: true });
  }

  return {
    api,
    platform,
    mock,
    root,
    workspace,
    spawn: spawnChannels,
    kill: () => signal('SIGKILL'),
    terminate: () => signal('SIGTERM'),
    rss,
    get pid() {
      return child?.pid;
    },
    stderr: () => stderr,
    stop,
  };
}

/** The last user message of a recorded model request (what the turn asked). */
export function lastUserText(request) {
  const messages = request.body?.messages ?? [];
  const last = messages.filter((m) => m.role === 'user').at(-1);
  if (!last) return '';
  return typeof last.content === 'string' ? last.content : JSON.stringify(last.content);
}
