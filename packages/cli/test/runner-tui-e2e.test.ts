/**
 * The chain a process-tier user goes through, all real: `oxydra runner start` detaches a daemon
 * whose guest serves a gateway on alice's folder (her agent config points at the testkit's mock
 * LLM), `runner status` reports it healthy, `oxydra runner tui` in a terminal (tmux) finds that
 * gateway through the runner and streams an answer to a typed prompt, Ctrl+C leaves the TUI,
 * `runner stop` ends everything and nothing is left running.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil, processesLeftBehind } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { OXYDRA_BIN } from './helpers.js';
import { alive, stopEverything, workspaceOf, writeRunnerConfig } from './runner-helpers.js';
import { TmuxPane, tmuxAvailable } from './tui-tmux.js';

const ANSWER = 'The guest streamed this answer through its gateway.';

let env: AgentEnv | undefined;
let pane: TmuxPane | undefined;
const seenPids: number[] = [];

afterEach(async () => {
  pane?.kill();
  if (env) {
    await stopEverything(env.sandbox, ['alice'], seenPids.splice(0));
    await env.close();
  }
  pane = undefined;
  env = undefined;
});

interface Status {
  running: boolean;
  healthy?: boolean;
  runner_pid?: number;
  runtime_pid?: number;
  gateway_endpoint?: string;
  sandbox_tier?: string;
}

function status(agent: AgentEnv): Status {
  const parsed = JSON.parse(agent.sandbox.run('runner', 'status', '--json').stdout) as Status;
  for (const pid of [parsed.runner_pid, parsed.runtime_pid]) if (pid !== undefined) seenPids.push(pid);
  return parsed;
}

// The process tier sandboxes the guest's shell with bubblewrap (the runner refuses to start
// without it unless --insecure), and the TUI needs a terminal: tmux provides one.
const canRun = existsSync('/usr/bin/bwrap') && tmuxAvailable();

describe.skipIf(!canRun)('runner start → status → tui → stop for a process-tier user', () => {
  it('streams an answer in the TUI from the runner-started guest, then stops leaving nothing', async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [
      { reply: { text: ANSWER, textChunks: 8, usage: { input: 1200, output: 30 } } },
    ]);
    writeRunnerConfig(env.sandbox, { defaultTier: 'process' });
    // The guest's workspace is alice's `shared` folder: its .oxydra/ holds her agent config.
    const userConfig = join(workspaceOf(env.sandbox), 'shared/.oxydra');
    mkdirSync(userConfig, { recursive: true });
    copyFileSync(join(env.workspace, '.oxydra/agent.toml'), join(userConfig, 'agent.toml'));

    const start = env.sandbox.run('runner', 'start');
    expect(start.stderr).toBe('');
    expect(start.status).toBe(0);
    expect(start.stdout).toContain('runner for user alice: healthy');

    const health = status(env);
    expect(health).toMatchObject({ running: true, healthy: true, sandbox_tier: 'process' });
    const endpoint = health.gateway_endpoint!;
    expect(endpoint).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    const text = env.sandbox.run('runner', 'status');
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('runner for user alice: healthy');

    // `runner tui` finds the gateway through the runner and the token in the file the guest's
    // gateway wrote under HOME; no OXYDRA_GATEWAY_TOKEN, no --gateway.
    pane = new TmuxPane(env.sandbox.root);
    pane.start(
      [process.execPath, OXYDRA_BIN, 'runner', 'tui'],
      {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: env.sandbox.home,
        OXYDRA_SYSTEM_CONFIG_DIR: env.sandbox.system,
        TERM: 'xterm-256color',
        LANG: 'C.UTF-8',
      },
      env.workspace,
    );
    await pane.waitForText(`connected to ${endpoint}`, 20_000);
    pane.type('What does the guest say?');
    await pane.waitForText('› What does the guest say?');
    pane.press('Enter');
    const done = await pane.waitForScreen(
      (screen) => screen.includes(ANSWER) && /│ idle │ 1\.2k in · 30 out/.test(screen),
      'the streamed answer and its usage',
      20_000,
    );
    expect(done).toContain('you: What does the guest say?');
    expect(done.split(ANSWER).length - 1).toBe(1);
    // The model got the typed prompt from alice's guest.
    expect(env.requestText(0)).toContain('What does the guest say?');
    // The conversation lives in alice's own memory database, not the project's.
    expect(existsSync(join(workspaceOf(env.sandbox), 'shared/.oxydra/memory.db'))).toBe(true);
    expect(existsSync(join(env.workspace, '.oxydra/memory.db'))).toBe(false);

    pane.press('C-c');
    expect(await pane.waitForExit()).toBe(130);
    expect(pane.output()).toMatch(/session \S+ \(resume with oxydra tui --session \S+\)/);
    // The TUI is gone; its terminal (the tmux server, whose command line names the sandbox) too.
    pane.kill();
    pane = undefined;
    // Leaving the TUI does not stop the guest: it is the runner's.
    expect(status(env)).toMatchObject({ running: true, healthy: true });

    const stop = env.sandbox.run('runner', 'stop');
    expect(stop.stderr).toBe('');
    expect(stop.status).toBe(0);
    expect(stop.stdout).toBe('runner for user alice: stopped\n');
    expect(status(env)).toEqual({ running: false, user_id: 'alice' });
    const stopped = env.sandbox.run('runner', 'status');
    expect(stopped.status).toBe(1);
    expect(stopped.stdout).toContain('runner for user alice: stopped');
    await pollUntil(
      () => !alive(health.runner_pid!) && !alive(health.runtime_pid!),
      'the daemon and guest to exit',
      { timeoutMs: 20_000 },
    );
    expect(await processesLeftBehind(env.sandbox.root)).toEqual([]);
  });
});
