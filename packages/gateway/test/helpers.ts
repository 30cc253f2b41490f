/**
 * Shared by the gateway tests: a real gateway on port 0 over a real kernel (a temporary
 * workspace and memory database), whose model is a scripted in-process provider. Tests talk to
 * it over the WebSocket with the protocol's one client (hello-client.ts) or, for what no client
 * does, a raw socket (raw-socket.ts). What the model was asked is in
 * `model.calls`; which kernel agents the gateway spawned (agent, user, session) in `spawns`.
 * With OXYDRA_TEST_STORE=postgres (the `postgres` vitest project) the kernel keeps its data in
 * PostgreSQL instead, on a schema of the test's own (kept across restarts, dropped at cleanup).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayClient } from '@oxydra/gateway-client';
import { type Kernel, type KernelOptions, openKernel } from '@oxydra/kernel';
import type { OwnerGrant } from '@oxydra/kernel/admin';
import {
  dropTestSchema,
  ON_POSTGRES,
  openTestPostgres,
  type TestPostgres,
} from '@oxydra/store-postgres/testing/test-store';
import {
  type ScriptedCall,
  type ScriptedProvider,
  scriptedAdapters,
  scriptedProvider,
} from '@oxydra/testkit';
import type { AgentConfigInput, Message, ModelEvent, SessionStore } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterAll, beforeAll } from 'vitest';
import { type Gateway, type GatewayClusterOptions, type GatewayOptions, startGateway } from '../src/index.js';

export const TOKEN = 'test-token-0123456789abcdef';

/** One model call, as the scripted model saw it. */
export interface ModelCall {
  /** The text of the last user message (the turn's prompt). */
  prompt: string;
  /** Attachments of the last user message. */
  attachments: { mimeType: string; data: string }[];
  /** What came before the prompt, without the system prompt and recalled memory. */
  history: Message[];
  messages: Message[];
  /** Aborted when the turn is cancelled. */
  signal: AbortSignal;
}

/** A model script: yields the provider events of one model call. */
export type Script = (call: ModelCall) => AsyncGenerator<ModelEvent>;

/** Echoes the prompt word by word, like a model would stream it. */
export const echoScript: Script = async function* (call) {
  const words = `echo: ${call.prompt}`.split(/(?= )/);
  for (const word of words) yield { type: 'text_delta', text: word };
  yield { type: 'usage', usage: { inputTokens: 10, outputTokens: words.length } };
  yield { type: 'finish', reason: 'stop' };
};

/** The model answers exactly `text`, in one piece. */
export const answeringScript = (text: string): Script =>
  async function* () {
    yield { type: 'text_delta', text };
    yield { type: 'usage', usage: { inputTokens: 1, outputTokens: 1 } };
    yield { type: 'finish', reason: 'stop' };
  };

/** A chat completion asking for a structured answer matching `schema`, as the user of `token`. */
export function structuredChat(
  gateway: Gateway,
  token: string,
  schema: Record<string, unknown>,
  prompt = 'answer',
): Promise<Response> {
  return postJson(
    gateway,
    '/v1/chat/completions',
    {
      model: 'default',
      messages: [{ role: 'user', content: prompt }],
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema } },
    },
    { authorization: `Bearer ${token}` },
  );
}

/** The provider events of a model reply asking for one tool call. */
export function* toolCallReply(
  id: string,
  name: string,
  args: Record<string, unknown>,
): Generator<ModelEvent> {
  const raw = JSON.stringify(args);
  yield { type: 'tool_call_start', index: 0, id, name };
  yield { type: 'tool_call_delta', index: 0, argumentsDelta: raw };
  yield { type: 'tool_call_end', index: 0, id, name, arguments: args, rawArguments: raw };
  yield { type: 'finish', reason: 'tool_calls' };
}

/** Asks once for a command (a privileged call: approval "ask" asks), then reports the tool result it got. */
export const shellThenReport: Script = async function* (call: ModelCall) {
  const last = call.messages.at(-1);
  if (last?.role !== 'tool') {
    yield* toolCallReply('sh1', 'shell_exec', { command: 'echo approved-$((40+2))' });
    return;
  }
  yield { type: 'text_delta', text: `tool said: ${last.content}` };
  yield { type: 'finish', reason: 'stop' };
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
  return async function* (call) {
    yield { type: 'text_delta', text: 'working' };
    const aborted = new Promise<'aborted'>((resolve) => {
      if (call.signal.aborted) resolve('aborted');
      call.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    if ((await Promise.race([gate.opened, aborted])) === 'aborted') return;
    yield { type: 'text_delta', text: ' done' };
    yield { type: 'finish', reason: 'stop' };
  };
}

/**
 * The scripted model every provider entry of the test kernel answers with (the testkit's
 * in-process provider, its calls seen as turns: prompt, attachments, history).
 */
export class ScriptedModel {
  readonly calls: ModelCall[] = [];
  readonly provider: ScriptedProvider;

  constructor(public script: Script = echoScript) {
    this.provider = scriptedProvider((call) => {
      const model = modelCall(call);
      this.calls.push(model);
      return this.script(model);
    });
  }
}

/** A provider call as the tests read it. */
function modelCall({ context, signal }: ScriptedCall): ModelCall {
  const messages = context.messages;
  const last = messages.at(-1);
  const parts =
    last?.role === 'user'
      ? typeof last.content === 'string'
        ? [{ type: 'text' as const, text: last.content }]
        : last.content
      : [];
  return {
    prompt: parts.map((part) => (part.type === 'text' ? part.text : '')).join(''),
    attachments: parts.flatMap((part) =>
      part.type === 'attachment' ? [{ mimeType: part.mimeType, data: part.data }] : [],
    ),
    history: messages
      .slice(0, -1)
      .filter(
        (m, i) => !(m.role === 'system' && (i === 0 || m.content.startsWith('Relevant context from memory'))),
      ),
    messages,
    signal,
  };
}

/** A kernel agent the gateway spawned for a turn. */
export interface Spawn {
  agentId: string;
  agentName: string;
  userId: string | undefined;
  prompt: string;
  /** The stored session it ran in (undefined for stateless HTTP turns). */
  readonly sessionId: string | undefined;
  /** Killed: its turn was cancelled. */
  readonly killed: boolean;
}

export interface TestGateway {
  gateway: Gateway;
  kernel: Kernel;
  model: ScriptedModel;
  spawns: Spawn[];
  /** The kernel's workspace (the memory database is in it). */
  workspace: string;
  dbPath: string;
  /** On PostgreSQL (OXYDRA_TEST_STORE=postgres): the schema the kernel's stores are in. */
  schema: string | undefined;
  wsUrl: string;
  /**
   * The stored sessions as another process opens them (the gateway stopped): the memory
   * database's, or on PostgreSQL the test schema's.
   */
  storedSessions(): Promise<{ sessions: SessionStore; close(): Promise<void> }>;
  /** Stops the gateway and its kernel (keeps the database, for restart tests). */
  stop(): Promise<void>;
  /** A new gateway over the same database. */
  restart(overrides?: TestGatewayOptions): Promise<TestGateway>;
  cleanup(): Promise<void>;
}

export type TestGatewayOptions = Partial<Omit<GatewayOptions, 'kernel'>> & {
  model?: ScriptedModel;
  config?: AgentConfigInput;
  /** More environment for the kernel (variables named by the configuration). */
  env?: Record<string, string>;
};

export async function startTestGateway(
  overrides: TestGatewayOptions = {},
  existing?: { dir: string; schema?: string | undefined },
  /** More kernel options (an injected clock). */
  kernelOptions: Partial<KernelOptions> = {},
): Promise<TestGateway> {
  const dir = existing?.dir ?? mkdtempSync(join(tmpdir(), 'oxydra-gateway-'));
  const dbPath = join(dir, 'memory.db');
  const { model = new ScriptedModel(), config: extra = {}, env: moreEnv = {}, ...options } = overrides;
  const config = agentConfigSchema.parse({
    selection: { provider: 'openai', model: 'gpt-4o-mini' },
    providers: { registry: { openai: { provider_type: 'openai' } } },
    agents: { writer: {} },
    runtime: { max_turns: 4 },
    reliability: { backoff_base_ms: 1, backoff_max_ms: 1 },
    ...extra,
    memory: { db_path: dbPath, ...extra.memory },
    tools: { approval: 'auto', ...extra.tools, sandbox: { mode: 'none', ...extra.tools?.sandbox } },
  });
  // PostgreSQL: the stores on the test's schema (a restart's, or a fresh one), as the CLI hands them.
  const postgres: TestPostgres | undefined = ON_POSTGRES
    ? await openTestPostgres(existing?.schema)
    : undefined;
  const { kernel, owner } = await openKernel(
    {
      workspace: dir,
      config,
      host: 'gateway',
      env: {
        OPENAI_API_KEY: 'sk-gateway-test-0123456789',
        HOME: dir,
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...moreEnv,
      },
      adapters: scriptedAdapters(model.provider),
      secrets: [TOKEN],
      warn: () => {},
      ...kernelOptions,
      ...(postgres ? { stores: { ...postgres.kernel, ...kernelOptions.stores } } : {}),
    },
    { ownerGrant: true },
  ).catch(async (error: unknown) => {
    await postgres?.close();
    throw error;
  });
  grants.set(kernel, owner);
  const spawns = recordSpawns(kernel);
  // PostgreSQL: the gateway is a member of a deployment (of one), as `oxydra gateway` is on
  // that store, so the whole suite goes through the cluster's paths (claims, the bus).
  const cluster = postgres && !options.cluster ? await clusterMember(postgres) : undefined;
  const gateway = await startGateway({
    port: 0,
    token: TOKEN,
    kernel,
    owner,
    shutdownGraceMs: 2000,
    // GET /api/v1/channels reads the workspace's channel database, as `oxydra gateway`'s does.
    channels: async () =>
      (await import('@oxydra/channels')).channelReports({ config, workspace: dir, env: {} }),
    ...(cluster ? { cluster } : {}),
    ...options,
  }).catch(async (error: unknown) => {
    await kernel.close();
    await cluster?.bus.close();
    await postgres?.close();
    throw error;
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await gateway.close();
      await kernel.close();
    } finally {
      // The bus and the pool outlive nothing that uses them (as the CLI closes them).
      await cluster?.bus.close();
      await postgres?.close();
    }
  };
  return {
    gateway,
    kernel,
    model,
    spawns,
    workspace: dir,
    dbPath,
    schema: postgres?.schema,
    wsUrl: `${gateway.url.replace(/^http/, 'ws')}/ws`,
    stop,
    storedSessions: async () => {
      if (postgres) {
        const other = await openTestPostgres(postgres.schema);
        return { sessions: other.stores.sessions, close: () => other.close() };
      }
      const { openMemory } = await import('@oxydra/memory');
      const db = await openMemory({ path: dbPath });
      return { sessions: db.sessions, close: () => db.close() };
    },
    restart: async (more = {}) => {
      await stop();
      return startTestGateway({ ...overrides, ...more }, { dir, schema: postgres?.schema }, kernelOptions);
    },
    cleanup: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
      if (postgres) await dropTestSchema(postgres.schema);
    },
  };
}

/** This test process as one gateway of a deployment on the test's schema: a fresh id per start. */
async function clusterMember(postgres: TestPostgres): Promise<GatewayClusterOptions> {
  const id = `test-${process.pid}-${randomBytes(4).toString('hex')}`;
  return {
    store: postgres.stores.cluster,
    bus: await postgres.stores.openBus(id),
    process: { id, host: hostname(), pid: process.pid },
  };
}

/** Every agent the kernel spawns, in order, as the gateway asked for it. */
function recordSpawns(kernel: Kernel): Spawn[] {
  const spawns: Spawn[] = [];
  const events = kernel.subscribe({ types: ['agent_spawned'] });
  void (async () => {
    for await (const envelope of events) {
      if (envelope.event.type !== 'agent_spawned') continue;
      const { agentId, name, task } = envelope.event;
      spawns.push({
        agentId,
        agentName: name,
        userId: envelope.userId,
        prompt: task,
        get sessionId() {
          return kernel.agents.get(agentId)?.sessionId;
        },
        get killed() {
          return kernel.agents.get(agentId)?.status === 'killed';
        },
      });
    }
  })();
  return spawns;
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
  client: GatewayClient,
  sessionId: string,
  prompt: string,
  turnId = `t-${Math.random()}`,
): string {
  client.send('send_turn', { session_id: sessionId, turn_id: turnId, prompt });
  return turnId;
}

/** New `user` tokens for these users, in order (each acts only as its own user). */
export async function userTokens(env: Pick<TestGateway, 'kernel'>, ...users: string[]): Promise<string[]> {
  const tokens = await env.kernel.service('tokens');
  const made: string[] = [];
  for (const user of users) made.push((await tokens.add(user, 'user', '', 'test')).token);
  return made;
}

/** A gateway and a `user` token each for alice and bob (userTokens). */
interface AliceAndBob {
  env: TestGateway;
  alice: string;
  bob: string;
}

/**
 * One gateway for the calling file's tests, with alice's and bob's `user` tokens: started in a
 * beforeAll and cleaned up in an afterAll this registers (a hook the file adds after it runs
 * first: vitest runs after-hooks in reverse). The fields are set once the beforeAll has run.
 */
export function gatewayForAliceAndBob(overrides: TestGatewayOptions = {}): AliceAndBob {
  const users = {} as AliceAndBob;
  beforeAll(async () => {
    users.env = await startTestGateway(overrides);
    [users.alice, users.bob] = (await userTokens(users.env, 'alice', 'bob')) as [string, string];
  });
  afterAll(() => users.env?.cleanup());
  return users;
}

/** The owner's grant of each kernel startTestGateway opened (with it), which its gateway's hub holds. */
const grants = new WeakMap<Kernel, OwnerGrant>();

/** The grant that came with a test gateway's kernel: only the opener of a kernel has one. */
export function ownerGrantOf(kernel: Kernel): OwnerGrant {
  const grant = grants.get(kernel);
  if (!grant) throw new Error('no owner grant: this kernel was not opened by startTestGateway');
  return grant;
}

/** The whole session store, through the kernel's owner-only path (the facade has no unscoped one). */
export async function ownerSessions(kernel: Kernel): Promise<SessionStore> {
  const store = await (await kernel.service('sessionAccess')).ownerStore(ownerGrantOf(kernel));
  if (!store) throw new Error('memory is off: no sessions are stored');
  return store;
}
