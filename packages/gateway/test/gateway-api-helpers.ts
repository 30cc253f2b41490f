/**
 * What the REST API's files share (gateway-api-routes.test.ts, gateway-api-access.test.ts): a
 * gateway of their own with the OpenAPI document's schemas loaded into ajv, `call` (a route's
 * answer checked against the document's response schema and for snake_case keys, the route
 * marked as called) and `openEvents` (the SSE stream, read as it comes).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { Gate, heldScript, ScriptedModel, startTestGateway, type TestGateway, TOKEN } from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: the answers are checked against the document's schemas, then read loosely
export type Json = any;

export let env: TestGateway;
export let document: { paths: Record<string, Record<string, unknown>> };
const ajv = new Ajv2020({ strict: false, allErrors: true });
export const called = new Set<string>();
let gate = new Gate();

/** A gateway of its own, on an empty workspace, with the document's schemas loaded into ajv. */
async function startApiGateway(): Promise<void> {
  const model = new ScriptedModel(async function* (call) {
    if (call.prompt.includes('hold')) {
      yield* heldScript(gate)(call);
      return;
    }
    yield { type: 'text_delta', text: `echo: ${call.prompt}` };
    yield { type: 'usage', usage: { inputTokens: 10, outputTokens: 3 } };
    yield { type: 'finish', reason: 'stop' };
  });
  // The memory database inside .oxydra/, which checkpoints never capture (the undo below must
  // not put back the database under the running gateway).
  const dir = mkdtempSync(join(tmpdir(), 'oxydra-gateway-api-'));
  mkdirSync(join(dir, '.oxydra'));
  env = await startTestGateway(
    {
      model,
      config: { scheduler: { enabled: true }, memory: { db_path: join(dir, '.oxydra', 'memory.db') } },
    },
    { dir },
  );
  const response = await fetch(`${env.gateway.url}/api/v1/openapi.json`, { headers: auth() });
  document = (await response.json()) as typeof document;
  ajv.removeSchema('openapi.json');
  ajv.addSchema(document, 'openapi.json');
}

/**
 * The gateway for the calling file's tests: started before them, again before a retried test,
 * stopped after them.
 */
export function useApiGateway(): void {
  beforeAll(startApiGateway);

  // CI allows one retry (vitest.config.ts). The tests count what they made (stored sessions,
  // schedules, approvals), so a retry on the state its failed attempt left could only fail again,
  // differently: it starts on a gateway of its own instead.
  beforeEach(async ({ task }) => {
    if (!task.result?.retryCount) return;
    gate.release();
    await env?.cleanup();
    gate = new Gate();
    await startApiGateway();
  });

  afterAll(async () => {
    gate.release();
    await env?.cleanup();
  });
}

export function auth(token = TOKEN): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

const pointer = (text: string) => text.replaceAll('~', '~0').replaceAll('/', '~1');

const SNAKE = /^[a-z][a-z0-9_]*$/;
/** Free-form data passed through as it was stored (the configuration, transcripts, audit payloads). */
const FREE_FORM = new Set(['$.config', '$.messages', '$.session.messages']);

/** The paths of keys that are not snake_case (names of records of free-form data excepted). */
export function nonSnakeKeys(value: unknown, path = '$'): string[] {
  if (FREE_FORM.has(path) || /\.action\.data$/.test(path)) return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => nonSnakeKeys(item, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => [
    ...(SNAKE.test(key) ? [] : [`${path}.${key}`]),
    ...nonSnakeKeys(item, `${path}.${key}`),
  ]);
}

export interface ServerEvent {
  event: string;
  data: Json;
}

/** GET /api/v1/events, read as it comes: wait for an event, or see all that came. */
export async function openEvents(token = TOKEN) {
  const response = await fetch(`${env.gateway.url}/api/v1/events`, { headers: auth(token) });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: ServerEvent[] = [];
  let buffer = '';
  let reading: Promise<void> | undefined;
  const readMore = () => {
    reading ??= reader.read().then(({ value, done }) => {
      reading = undefined;
      if (done) throw new Error('the event stream ended');
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const name = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (name && data) events.push({ event: name, data: JSON.parse(data) });
        end = buffer.indexOf('\n\n');
      }
    });
    return reading;
  };
  let seen = 0;
  return {
    events,
    /** The next event (after the last one waited for) that matches. */
    async next(match: (event: ServerEvent) => boolean, what: string, timeoutMs = 8000): Promise<ServerEvent> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = events.findIndex((event, i) => i >= seen && match(event));
        if (index >= 0) {
          seen = index + 1;
          return events[index]!;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(events)}`);
        await Promise.race([readMore(), new Promise((resolve) => setTimeout(resolve, left))]);
      }
    },
    close: () => reader.cancel().catch(() => {}),
  };
}

/** Calls a route and checks the answer against the document's schema for its status. */
export async function call(
  method: string,
  template: string,
  values: Record<string, string> = {},
  options: { body?: unknown; query?: string; token?: string; expect?: number } = {},
): Promise<{ status: number; body: Json; text: string }> {
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name]!));
  const response = await fetch(
    `${env.gateway.url}/api/v1${path}${options.query ? `?${options.query}` : ''}`,
    {
      method: method.toUpperCase(),
      headers: {
        ...auth(options.token),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    },
  );
  const text = await response.text();
  const status = response.status;
  expect(status, `${method} ${path}: ${text.slice(0, 300)}`).toBe(
    options.expect ?? (method === 'post' && status === 201 ? 201 : 200),
  );
  called.add(`${method} ${template}`);
  const operation = document.paths[`/api/v1${template}`]?.[method] as
    | { responses: Record<string, { content: Record<string, unknown> }> }
    | undefined;
  expect(operation, `${method} ${template} is in the document`).toBeDefined();
  const media = Object.keys(operation!.responses[String(status)]?.content ?? {})[0];
  let body: unknown = text;
  if (media === 'application/json') {
    body = JSON.parse(text);
    const ref = `openapi.json#/paths/${pointer(`/api/v1${template}`)}/${method}/responses/${status}/content/${pointer(media)}/schema`;
    const valid = ajv.validate({ $ref: ref }, body);
    expect(valid, `${method} ${template} ${status}: ${ajv.errorsText()}`).toBe(true);
    // Every /api/v1 answer is snake_case (the document itself speaks OpenAPI's camelCase).
    if (template !== '/openapi.json')
      expect(nonSnakeKeys(body), `${method} ${template}: keys not in snake_case`).toEqual([]);
  }
  return { status, body, text };
}
