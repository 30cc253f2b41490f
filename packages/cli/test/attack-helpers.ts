/**
 * Helpers for the attack battery: one scripted attack = one short `oxydra run --json` whose
 * model makes the given tool calls (one per turn) and then says "Done.".
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StreamEvent, ToolExecutionEndEvent } from '@oxydra/types';
import { afterAll, beforeAll } from 'vitest';
import { AgentEnv, E2E_APIS, type RunOutput } from './agent-env.js';

export interface AttackCall {
  name: string;
  arguments: Record<string, unknown>;
}

export interface AttackResult {
  env: AgentEnv;
  run: RunOutput;
  /** The tool results, in order, as the CLI reported them. */
  ends: ToolExecutionEndEvent[];
  /** Every request body the model received, joined. */
  requests: string;
}

export interface AttackOptions {
  extraToml?: string;
  /** Plant files etc. after the workspace exists and before the run. */
  prepare?: (env: AgentEnv) => void;
  args?: string[];
  during?: (child: ChildProcess) => Promise<void>;
  extraEnv?: Record<string, string>;
}

let current: AgentEnv | undefined;

export async function attack(calls: AttackCall[], options: AttackOptions = {}): Promise<AttackResult> {
  const env = await AgentEnv.start(
    E2E_APIS[0]!,
    [
      ...calls.map((call) => ({ reply: { toolCalls: [call] } })),
      { reply: { text: 'Done.' }, times: 'always' },
    ],
    options.extraToml ?? '',
  );
  current = env;
  Object.assign(env.sandbox.env, options.extraEnv ?? {});
  options.prepare?.(env);
  const during = options.during;
  const run = await env.run(
    ['run', '--json', ...(options.args ?? []), 'Carry out the attack.'],
    during ? (child) => during(child) : undefined,
  );
  const ends = run.events.filter(
    (e: StreamEvent): e is ToolExecutionEndEvent => e.type === 'tool_execution_end',
  );
  const requests = env.mock.requests.map((r) => r.raw).join('\n');
  return { env, run, ends, requests };
}

export async function closeAttack(): Promise<void> {
  await current?.close();
  current = undefined;
}

/** A directory outside any sandbox's private /tmp (visible read-only inside bubblewrap). */
export function outsideDir(): string {
  return mkdtempSync('/var/tmp/oxydra-attack-');
}

export function removeDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

let counter = 0;
/** A marker short enough (and word-like enough) that the output scrubber leaves it alone. */
export function marker(tag: string): string {
  counter += 1;
  return `PWN-${tag}-${process.pid % 10000}-${counter}`;
}

export interface Victim {
  server: Server;
  port: number;
  hits: number;
  close(): Promise<void>;
}

/** A local HTTP server that counts every request; `handler` may answer differently. */
export async function startVictim(
  host: string,
  handler?: (response: import('node:http').ServerResponse) => void,
): Promise<Victim> {
  const victim = {
    hits: 0,
    port: 0,
  } as Victim;
  victim.server = createServer((_request, response) => {
    victim.hits += 1;
    if (handler) handler(response);
    else response.end('victim secret page');
  });
  await new Promise<void>((resolve, reject) => {
    victim.server.once('error', reject);
    victim.server.listen(0, host, resolve);
  });
  victim.port = (victim.server.address() as AddressInfo).port;
  victim.close = () => new Promise((resolve) => victim.server.close(() => resolve()));
  return victim;
}

/** One attack of a batch: its tool calls, and what the test needs to check it (a target, a marker). */
export interface BatchedAttack {
  calls: AttackCall[];
  /** Plant files etc. after the batch's workspace exists and before the run. */
  prepare?: (env: AgentEnv) => void;
}

/**
 * Several attacks as the turns of one `oxydra run --json` (one binary start instead of one per
 * attack), for attacks whose process boundary is not what is tested: the model makes every
 * attack's calls in turn, one call a turn, then says "Done.". `add` registers an attack (its
 * `make` runs when the batch starts, in `beforeAll`) and returns a getter of its result: the run,
 * every request body, and the tool results of its own calls only, so each test's indices are its
 * own. The attacks share the workspace, so each plants and writes names of its own; one that
 * could spoil the others if the sandbox failed (rm -rf, deleting .oxydra) goes last.
 */
export function attackBatch(extraToml = ''): {
  add<T extends BatchedAttack>(make: () => T): () => AttackResult & T;
} {
  const made: BatchedAttack[] = [];
  const makers: (() => BatchedAttack)[] = [];
  const results: AttackResult[] = [];
  let env: AgentEnv | undefined;
  beforeAll(async () => {
    for (const make of makers) made.push(make());
    const calls = made.flatMap((a) => a.calls);
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [
        ...calls.map((call) => ({ reply: { toolCalls: [call] } })),
        { reply: { text: 'Done.' }, times: 'always' },
      ],
      extraToml,
    );
    for (const a of made) a.prepare?.(env);
    const run = await env.run(['run', '--json', 'Carry out the attacks.']);
    const ends = run.events.filter(
      (e: StreamEvent): e is ToolExecutionEndEvent => e.type === 'tool_execution_end',
    );
    const requests = env.mock.requests.map((r) => r.raw).join('\n');
    // Each test reads its own slice of the results: a missing or extra result would shift them.
    if (ends.length !== calls.length || ends.some((end, i) => end.name !== calls[i]!.name)) {
      throw new Error(
        `the batch made ${calls.length} calls and got ${ends.length} results (${ends.map((e) => e.name).join(', ')}); exit ${run.status}: ${run.stderr.slice(-2000)}`,
      );
    }
    let first = 0;
    for (const a of made) {
      results.push({ env, run, ends: ends.slice(first, first + a.calls.length), requests });
      first += a.calls.length;
    }
  }, 180_000);
  afterAll(async () => {
    await env?.close();
  });
  return {
    add<T extends BatchedAttack>(make: () => T): () => AttackResult & T {
      const index = makers.push(make) - 1;
      return () => {
        const result = results[index];
        if (!result) throw new Error('the batch did not run');
        return { ...(made[index] as T), ...result };
      };
    },
  };
}
