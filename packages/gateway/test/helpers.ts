/**
 * Shared by the gateway tests: a real gateway on port 0 over a temporary memory database, a
 * scripted turn runner, and a plain `ws` client that validates every frame it receives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MemoryDatabase, openMemory } from '@oxydra/memory';
import type { RunEndEvent, StreamEvent } from '@oxydra/types';
import { type Gateway, type GatewayOptions, startGateway } from '../src/index.js';
import type { TurnHandle, TurnOutcome, TurnRequest, TurnRunner } from '../src/types.js';
import { TestClient } from './ws-client.js';

export { TestClient } from './ws-client.js';

export const TOKEN = 'test-token-0123456789abcdef';
TestClient.defaultToken = TOKEN;

/** A turn script: yields the run's events; `signal` aborts when the turn is cancelled. */
export type Script = (request: TurnRequest) => AsyncGenerator<StreamEvent>;

/** Echoes the prompt word by word, like a model would stream it. */
export const echoScript: Script = async function* (request) {
  yield { type: 'turn_start', turn: 1, maxTurns: 4 };
  const words = `echo: ${request.prompt}`.split(/(?= )/);
  for (const word of words) yield { type: 'text_delta', text: word };
  yield { type: 'usage', usage: { inputTokens: 10, outputTokens: words.length } };
  yield { type: 'finish', reason: 'stop' };
  yield {
    type: 'run_completed',
    text: words.join(''),
    usage: { inputTokens: 10, outputTokens: words.length },
    cost_usd: 0.001,
    turns: 1,
  };
};

/** Streams "working", then waits until released or cancelled. */
export class Gate {
  #open: () => void = () => {};
  readonly opened = new Promise<void>((resolve) => {
    this.#open = resolve;
  });
  release(): void {
    this.#open();
  }
}

export function heldScript(gate: Gate): Script {
  return async function* (request) {
    yield { type: 'turn_start', turn: 1, maxTurns: 4 };
    yield { type: 'text_delta', text: 'working' };
    const aborted = new Promise<'aborted'>((resolve) => {
      if (request.signal.aborted) resolve('aborted');
      request.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    if ((await Promise.race([gate.opened, aborted])) === 'aborted') {
      yield {
        type: 'run_failed',
        text: 'working',
        usage: {},
        cost_usd: null,
        turns: 1,
        error: { code: 'cancelled', message: 'cancelled by the client' },
      };
      return;
    }
    yield { type: 'text_delta', text: ' done' };
    yield { type: 'run_completed', text: 'working done', usage: {}, cost_usd: null, turns: 1 };
  };
}

/** A TurnRunner playing a script; records every request. */
export class ScriptedRunner implements TurnRunner {
  readonly requests: TurnRequest[] = [];
  constructor(public script: Script = echoScript) {}

  async start(request: TurnRequest): Promise<TurnHandle> {
    this.requests.push(request);
    const events = this.script(request);
    const seen: StreamEvent[] = [];
    let settle: (outcome: TurnOutcome) => void = () => {};
    const result = new Promise<TurnOutcome>((resolve) => {
      settle = resolve;
    });
    async function* played(): AsyncGenerator<StreamEvent> {
      try {
        for await (const event of events) {
          seen.push(event);
          yield event;
        }
      } finally {
        const end = seen.findLast(
          (e): e is RunEndEvent => e.type === 'run_completed' || e.type === 'run_failed',
        );
        const status =
          end?.type === 'run_completed'
            ? 'completed'
            : end?.error?.code === 'cancelled'
              ? 'cancelled'
              : 'failed';
        settle({
          status,
          text: end && 'text' in end ? end.text : '',
          usage: {},
          costUsd: null,
          ...(end?.type === 'run_failed' && end.error ? { error: end.error } : {}),
        });
      }
    }
    return { events: played(), result };
  }
}

export interface TestGateway {
  gateway: Gateway;
  runner: ScriptedRunner;
  memory: MemoryDatabase;
  dbPath: string;
  wsUrl: string;
  /** Stops the gateway (keeps the database, for restart tests). */
  stop(): Promise<void>;
  /** A new gateway over the same database. */
  restart(overrides?: Partial<GatewayOptions>): Promise<TestGateway>;
  cleanup(): Promise<void>;
}

export async function startTestGateway(
  overrides: Partial<GatewayOptions> = {},
  existing?: { dir: string },
): Promise<TestGateway> {
  const dir = existing?.dir ?? mkdtempSync(join(tmpdir(), 'oxydra-gateway-'));
  const dbPath = join(dir, 'memory.db');
  const memory = await openMemory({ path: dbPath });
  const runner = overrides.runner instanceof ScriptedRunner ? overrides.runner : new ScriptedRunner();
  const gateway = await startGateway({
    port: 0,
    token: TOKEN,
    sessions: memory.sessions,
    runner,
    agents: ['writer'],
    shutdownGraceMs: 2000,
    ...overrides,
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await gateway.close();
    await memory.close();
  };
  return {
    gateway,
    runner,
    memory,
    dbPath,
    wsUrl: `${gateway.url.replace(/^http/, 'ws')}/ws`,
    stop,
    restart: async (more = {}) => {
      await stop();
      return startTestGateway({ ...overrides, ...more }, { dir });
    },
    cleanup: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: assertions read HTTP bodies of many shapes
export type JsonBody = any;

/** An authorised JSON POST to the gateway. */
export function postJson(
  gateway: Gateway,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

/** A response's JSON body, loosely typed for assertions. */
export async function jsonOf(response: Response): Promise<JsonBody> {
  return response.json();
}

/** send_turn on the client's session; returns the turn id. */
export function sendTurn(
  client: TestClient,
  sessionId: string,
  prompt: string,
  turnId = `t-${Math.random()}`,
): string {
  client.send({
    type: 'send_turn',
    payload: { request_id: client.requestId(), session_id: sessionId, turn_id: turnId, prompt },
  });
  return turnId;
}

/** Poll until `check` holds or the deadline passes. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
