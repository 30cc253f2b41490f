/**
 * The real `oxydra channels run` for the channel e2e tests (one per platform, against the
 * testkit's fakes and the mock model): started in an AgentEnv whose agent.toml names the
 * platform's fake, with the platform's secrets in its environment, ready once it logs that it is
 * answering; stopped by a signal; every process started here killed by `killChannels()` (the
 * files' afterEach/afterAll). And what the platforms' tests share: a wait that says what was
 * sent and logged when it times out, how often the model was asked about something, privileged
 * tools set to ask, and a schedule whose result goes to a chat, run once.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import { expect } from 'vitest';
import type { AgentEnv } from './agent-env.js';

/** What a platform's run needs: its secrets' variables and the log line that says it is answering. */
export interface ChannelsPlatform {
  env: Record<string, string>;
  /** Logged once the channel answers, e.g. "answering as @oxydra_test_bot". */
  ready: string;
}

export interface ChannelsProcess {
  child: ChildProcess;
  /** Everything it printed on stderr so far. */
  stderr: () => string;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

const running: ChildProcess[] = [];

/** Starts `oxydra channels run`; resolves once it says it is answering (fails if it exits first). */
export async function startChannels(agent: AgentEnv, platform: ChannelsPlatform): Promise<ChannelsProcess> {
  Object.assign(agent.sandbox.env, platform.env);
  const child = agent.spawn(['channels', 'run']);
  running.push(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout!.resume();
  await pollUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`channels run exited ${child.exitCode}: ${stderr}`);
      return stderr.includes(platform.ready);
    },
    'channels run to start',
    { timeoutMs: 20_000 },
  );
  return { child, stderr: () => stderr, stop: (signal = 'SIGTERM') => stop(child, signal) };
}

export function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  return exited;
}

/** SIGKILLs every `channels run` still running (a failed test's). */
export async function killChannels(): Promise<void> {
  for (const child of running.splice(0)) await stop(child, 'SIGKILL');
}

/**
 * Polls until `found` returns something; a timeout's error adds `explain()` (what the fake was
 * sent, the process's log), so a failure says what happened instead.
 */
export async function pollExplained<T>(
  found: () => T | undefined | false,
  what: string,
  explain: () => string,
  timeoutMs = 20_000,
): Promise<T> {
  try {
    return (await pollUntil(found, what, { timeoutMs })) as T;
  } catch (error) {
    throw new Error(`${(error as Error).message}; ${explain()}`);
  }
}

/** The last user message a model request carried (what the turn asked; earlier turns ride along). */
export const lastUser = (r: { body: unknown }) =>
  (r.body as { messages: { role: string; content: unknown }[] }).messages
    .filter((m) => m.role === 'user')
    .at(-1);

/** How many model requests asked about `words` (in their last user message). */
export const askedAbout = (agent: AgentEnv, words: string) =>
  agent.mock.requests.filter((r) => JSON.stringify(lastUser(r)).includes(words)).length;

/** Privileged tools ask in the chat; a question nobody answers is denied after `timeoutSecs`. */
export function askApprovals(agent: AgentEnv, timeoutSecs: number): void {
  const config = readFileSync(join(agent.workspace, '.oxydra/agent.toml'), 'utf8');
  agent.sandbox.write(
    '.oxydra/agent.toml',
    config.replace('approval = "auto"', `approval = "ask"\napproval_timeout_secs = ${timeoutSecs}`),
  );
}

/** A mock step whose reply calls shell_exec with `command` (a privileged call: it asks). */
export const shellCall = (command: string) => ({
  toolCalls: [{ name: 'shell_exec', arguments: { command } }],
});

/**
 * `oxydra schedule add --user <user> --name <name> --notify <notify> <prompt>` then `schedule
 * run-now <name>`, each its own process as an operator runs them; the running `channels run`
 * delivers the result.
 */
export async function runScheduleTo(
  agent: AgentEnv,
  schedule: { user: string; name: string; notify: string; prompt: string },
): Promise<void> {
  const added = await agent.run([
    'schedule',
    'add',
    '--every',
    '1h',
    '--user',
    schedule.user,
    '--name',
    schedule.name,
    '--notify',
    schedule.notify,
    schedule.prompt,
  ]);
  expect(added.status, added.stderr).toBe(0);
  const ran = await agent.run(['schedule', 'run-now', schedule.name]);
  expect(ran.status, ran.stderr).toBe(0);
}
