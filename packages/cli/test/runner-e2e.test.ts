/**
 * `oxydra runner` end to end with the real binary: start detaches a daemon that owns a real
 * guest (`oxydra guest`) whose gateway answers and runs agent turns against the testkit's mock
 * LLM in the user's own folder; status, logs, stop; a guest or daemon killed from outside.
 * Every test stops whatever it started (afterEach), even when it fails.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil, processesLeftBehind } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { alive, stopEverything, workspaceOf, writeRunnerConfig } from './runner-helpers.js';

let env: AgentEnv | undefined;
const seenPids: number[] = [];

afterEach(async () => {
  if (env) {
    await stopEverything(env.sandbox, ['alice'], seenPids.splice(0));
    await env.close();
  }
  env = undefined;
});

// The process tier sandboxes the guest's shell commands with bubblewrap; without it the runner
// refuses to start (tested in runner-cli.test.ts with --insecure's absence), so these need it.
const hasBwrap = existsSync('/usr/bin/bwrap');

/** A project with runner.toml for alice, and alice's agent config in her workspace. */
async function project(steps: Parameters<typeof AgentEnv.start>[1]): Promise<AgentEnv> {
  env = await AgentEnv.start(E2E_APIS[0]!, steps);
  writeRunnerConfig(env.sandbox);
  // The guest's workspace is alice's `shared` folder: its .oxydra/ holds her agent config.
  const userConfig = join(workspaceOf(env.sandbox), 'shared/.oxydra');
  mkdirSync(userConfig, { recursive: true });
  copyFileSync(join(env.workspace, '.oxydra/agent.toml'), join(userConfig, 'agent.toml'));
  return env;
}

interface Status {
  running: boolean;
  healthy?: boolean;
  runner_pid?: number;
  runtime_pid?: number;
  gateway_endpoint?: string;
  message?: string;
  sandbox_tier?: string;
  shell_available?: boolean;
  startup_status?: { degraded_reasons: { code: string }[] };
}

function status(agent: AgentEnv): Status {
  const result = agent.sandbox.run('runner', 'status', '--json');
  const parsed = JSON.parse(result.stdout) as Status;
  for (const pid of [parsed.runner_pid, parsed.runtime_pid]) if (pid !== undefined) seenPids.push(pid);
  return parsed;
}

function gatewayToken(agent: AgentEnv): string {
  return readFileSync(join(agent.sandbox.home, '.config/oxydra/gateway-token'), 'utf8').trim();
}

describe.skipIf(!hasBwrap)('oxydra runner start / status / stop', () => {
  it('starts a healthy guest whose gateway runs turns in the user folder, then stops leaving nothing', async () => {
    const agent = await project([
      {
        match: { lastMessageContains: 'Make a file' },
        reply: { toolCalls: [{ name: 'shell_exec', arguments: { command: 'echo made > made.txt && pwd' } }] },
      },
      { reply: { text: 'Made it in the guest.' } },
    ]);
    const start = agent.sandbox.run('runner', 'start');
    expect(start.stderr).toBe('');
    expect(start.status).toBe(0);
    expect(start.stdout).toContain('runner for user alice: healthy');
    expect(start.stdout).toMatch(/gateway: ws:\/\/127\.0\.0\.1:\d+\/ws/);

    const health = status(agent);
    expect(health).toMatchObject({
      running: true,
      healthy: true,
      sandbox_tier: 'process',
      shell_available: true,
    });
    expect(health.startup_status?.degraded_reasons).toEqual([]);
    expect(alive(health.runner_pid!)).toBe(true);
    expect(alive(health.runtime_pid!)).toBe(true);
    expect(agent.sandbox.run('runner', 'status').status).toBe(0);

    // The guest wrote its endpoint; the gateway behind it answers.
    const ws = workspaceOf(agent.sandbox);
    const endpoint = readFileSync(join(ws, 'ipc/gateway-endpoint'), 'utf8').trim();
    expect(endpoint).toBe(health.gateway_endpoint);
    const base = endpoint.replace(/^ws/, 'http').replace(/\/ws$/, '');
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(statSync(join(ws, 'ipc')).mode & 0o777).toBe(0o700);
    expect(statSync(join(ws, 'ipc/runner-control.sock')).mode & 0o777).toBe(0o600);

    // A real turn through the gateway: the agent's shell command runs in alice's shared folder.
    const reply = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gatewayToken(agent)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'Make a file' }] }),
    });
    expect(reply.status).toBe(200);
    const body = (await reply.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content).toBe('Made it in the guest.');
    expect(readFileSync(join(ws, 'shared/made.txt'), 'utf8')).toBe('made\n');
    // alice's sessions live in her own folder, not the project's. Her memory.db is created at
    // its first use (a stateless completion stores nothing): listing her sessions is one.
    const sessions = await fetch(`${base}/v1/sessions`, {
      headers: { authorization: `Bearer ${gatewayToken(agent)}` },
    });
    expect(sessions.status).toBe(200);
    expect(existsSync(join(ws, 'shared/.oxydra/memory.db'))).toBe(true);
    expect(existsSync(join(agent.workspace, '.oxydra/memory.db'))).toBe(false);
    // The tool result the model saw: the command ran in the workspace (host path scrubbed).
    expect(agent.requestText(1)).toContain('made');

    // The guest's output is in its logs.
    const logs = agent.sandbox.run('runner', 'logs', '--tail', '50');
    expect(logs.status).toBe(0);
    expect(logs.stdout).toMatch(/\[runtime\]\[stderr\] .*guest: gateway listening at ws:\/\/127\.0\.0\.1/);

    // A second start is refused while this one runs.
    const again = agent.sandbox.run('runner', 'start');
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('a runner for user alice is already running');

    const stop = agent.sandbox.run('runner', 'stop');
    expect(stop.stderr).toBe('');
    expect(stop.status).toBe(0);
    expect(stop.stdout).toBe('runner for user alice: stopped\n');
    expect(status(agent)).toEqual({ running: false, user_id: 'alice' });
    expect(agent.sandbox.run('runner', 'status').stdout).toContain('runner for user alice: stopped');
    await pollUntil(
      () => !alive(health.runner_pid!) && !alive(health.runtime_pid!),
      'the daemon and guest to exit',
      { timeoutMs: 15_000 },
    );
    expect(await processesLeftBehind(agent.sandbox.root)).toEqual([]);
    for (const file of ['runner-control.sock', 'runner.pid', 'gateway-endpoint']) {
      expect(existsSync(join(ws, 'ipc', file))).toBe(false);
    }
  });

  it('reports a guest killed from outside as unhealthy and does not restart it', async () => {
    const agent = await project([]);
    expect(agent.sandbox.run('runner', 'start').status).toBe(0);
    const before = status(agent);
    execFileSync('kill', ['-9', String(before.runtime_pid)]);
    await pollUntil(() => status(agent).runtime_pid === undefined, 'the runner to notice', {
      timeoutMs: 15_000,
    });
    const after = status(agent);
    expect(after).toMatchObject({ running: true, healthy: false });
    expect(after.message).toMatch(/the runtime guest exited unexpectedly \(killed by SIGKILL\)/);
    const text = agent.sandbox.run('runner', 'status');
    expect(text.status).toBe(1);
    expect(text.stdout).toContain('runner for user alice: UNHEALTHY');
    // The daemon keeps reporting it; stop still cleans up.
    const stop = agent.sandbox.run('runner', 'stop');
    expect(stop.status).toBe(0);
    expect(stop.stdout).toBe('runner for user alice: stopped (its guest had already exited)\n');
    await pollUntil(() => !alive(before.runner_pid!), 'the daemon to exit', { timeoutMs: 15_000 });
    expect(await processesLeftBehind(agent.sandbox.root)).toEqual([]);
  });

  it('a daemon killed from outside takes its guest with it, and status says stopped', async () => {
    const agent = await project([]);
    expect(agent.sandbox.run('runner', 'start').status).toBe(0);
    const before = status(agent);
    execFileSync('kill', ['-9', String(before.runner_pid)]);
    // The guest's stdin (its lifeline to the daemon) closed: it shuts down by itself.
    await pollUntil(() => !alive(before.runtime_pid!), 'the orphaned guest to exit', { timeoutMs: 15_000 });
    const text = agent.sandbox.run('runner', 'status');
    expect(text.status).toBe(1);
    expect(text.stdout).toContain('runner for user alice: stopped');
    const stop = agent.sandbox.run('runner', 'stop');
    expect(stop.stdout).toBe('runner for user alice: not running (removed a stale pid file)\n');
    // And it starts again cleanly over the stale socket.
    expect(agent.sandbox.run('runner', 'start').status).toBe(0);
    expect(status(agent).healthy).toBe(true);
  });
});

describe('oxydra runner start when the guest cannot start', () => {
  it('reports the guest error from its log, exits 1 and leaves nothing running', async () => {
    const agent = await project([]);
    // Memory off: the gateway keeps sessions in the memory database, so the guest refuses.
    agent.sandbox.write(
      '.oxydra/workspaces/alice/shared/.oxydra/agent.toml',
      `${readFileSync(join(agent.workspace, '.oxydra/agent.toml'), 'utf8')}\n[memory]\nenabled = false\n`,
    );
    const start = agent.sandbox.run('runner', 'start', '--insecure');
    expect(start.status).toBe(1);
    expect(start.stderr).toContain('WARNING: --insecure');
    expect(start.stderr).toContain(
      'error: the runner for user alice did not start: the runtime guest exited during startup (exit code 2)',
    );
    expect(start.stderr).toContain('[memory] enabled = false');
    expect(agent.sandbox.run('runner', 'status').stdout).toContain('stopped');
    expect(await processesLeftBehind(agent.sandbox.root)).toEqual([]);
  });

  it("shows a failed start's log excerpt with the guest's escape sequences written out", async () => {
    const agent = await project([]);
    agent.sandbox.write(
      '.oxydra/workspaces/alice/shared/.oxydra/agent.toml',
      `${readFileSync(join(agent.workspace, '.oxydra/agent.toml'), 'utf8')}\n[memory]\nenabled = false\n`,
    );
    // What a guest wrote to its stderr earlier: a terminal command (OSC 52 sets the clipboard).
    const logs = join(workspaceOf(agent.sandbox), 'logs');
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, 'runtime.stderr.log'), 'guest said \u001b]52;c;ZWNobyBldmls\u0007 here\n');
    const start = agent.sandbox.run('runner', 'start', '--insecure');
    expect(start.status).toBe(1);
    expect(start.stderr).toContain('guest said');
    expect(start.stderr).not.toContain('\u001b');
    expect(start.stderr).not.toContain('\u0007');
  });

  it('says where the guest looks for its agent configuration when the user has none', async () => {
    const agent = await project([]);
    rmSync(join(workspaceOf(agent.sandbox), 'shared/.oxydra/agent.toml'));
    // The project's agent.toml is not one of the guest's layers: the default provider has no key.
    const start = agent.sandbox.run('runner', 'start', '--insecure');
    expect(start.status).toBe(1);
    expect(start.stderr).toMatch(
      /note: alice's guest reads its agent configuration from .*alice\/shared\/\.oxydra\/agent\.toml \(missing\), ~\/\.config\/oxydra and \/etc\/oxydra, not from .*\.oxydra\/agent\.toml/,
    );
    expect(start.stderr).toContain('no API key for provider openai');
    expect(await processesLeftBehind(agent.sandbox.root)).toEqual([]);
  });
});
