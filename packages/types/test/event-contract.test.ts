/**
 * Event contract v1: the zod schemas and the TypeScript types say the same thing (checked at the
 * type level by tsc -p tsconfig.test.json), every event kind has a schema that accepts a real
 * example and refuses an unknown or snake_case field, and a --json line needs its version stamp.
 */

import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  EVENT_CONTRACT_V1,
  jsonLineSchema,
  modelEventSchema,
  runEventSchema,
  streamEventSchema,
} from '../src/events/index.js';
import { EVENT_CONTRACT_VERSION, type ModelEvent, type RunEvent, type StreamEvent } from '../src/index.js';

/** True only when A and B are each assignable to the other. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const modelTypesMatch: Same<z.infer<typeof modelEventSchema>, ModelEvent> = true;
const runTypesMatch: Same<z.infer<typeof runEventSchema>, RunEvent> = true;

/** One example of every event type; the `satisfies` keeps it honest against the types. */
const EXAMPLES = [
  { type: 'text_delta', text: 'hi' },
  { type: 'reasoning_delta', text: 'think', signature: 's', id: 'r1' },
  { type: 'tool_call_start', index: 0, id: 'c1', name: 'echo' },
  { type: 'tool_call_delta', index: 0, argumentsDelta: '{"a":' },
  { type: 'tool_call_end', index: 0, id: 'c1', name: 'echo', arguments: {}, rawArguments: '' },
  { type: 'usage', usage: { inputTokens: 3, outputTokens: 2, costUsd: 0.001 } },
  { type: 'finish', reason: 'tool_calls', rawReason: null },
  { type: 'progress', progress: { kind: 'retry', message: 'retrying' } },
  { type: 'error', code: 'provider_error', message: 'boom', kind: 'transport' },
  { type: 'turn_start', turn: 1, maxTurns: 8 },
  { type: 'tool_execution_start', id: 'c1', name: 'echo', arguments: { a: 1 } },
  {
    type: 'tool_execution_end',
    id: 'c1',
    name: 'echo',
    isError: false,
    content: 'ok',
    durationMs: 2,
    data: { rows: 1 },
  },
  { type: 'user_message', text: 'also this', kind: 'steering' },
  {
    type: 'run_completed',
    text: 'done',
    usage: {},
    costUsd: null,
    turns: 2,
    sessionId: 's1',
    auditHead: { seq: 4, hash: 'ab' },
  },
  {
    type: 'run_failed',
    text: '',
    usage: {},
    costUsd: 0,
    turns: 1,
    error: { code: 'provider_error', message: 'x', retryAfterMs: 1000, attempts: 2 },
  },
] as const satisfies readonly StreamEvent[];

describe('event contract v1', () => {
  it('the schemas and the types are the same shapes', () => {
    expect([modelTypesMatch, runTypesMatch]).toEqual([true, true]);
  });

  it('accepts one example of every event type, and covers every type', () => {
    for (const event of EXAMPLES) expect(streamEventSchema.parse(event)).toEqual(event);
    const covered = new Set(EXAMPLES.map((e) => e.type));
    const declared = [...modelEventSchema.options, ...runEventSchema.options].flatMap((schema) => {
      const type: { options?: readonly string[]; value?: string } = schema.shape.type;
      return type.options ? [...type.options] : [String(type.value)];
    });
    expect([...covered].sort()).toEqual([...new Set(declared)].sort());
  });

  it('refuses an unknown field, a snake_case field and an unknown type', () => {
    expect(streamEventSchema.safeParse({ type: 'text_delta', text: 'a', extra: 1 }).success).toBe(false);
    const end = EXAMPLES.find((e) => e.type === 'run_completed');
    expect(streamEventSchema.safeParse({ ...end, audit_head: { seq: 1, hash: 'x' } }).success).toBe(false);
    expect(streamEventSchema.safeParse({ type: 'run_started' }).success).toBe(false);
  });

  it('a --json line carries the version; a sub-agent line carries its agent', () => {
    const line = { ...EXAMPLES[0], v: EVENT_CONTRACT_VERSION };
    expect(jsonLineSchema.parse(line)).toEqual(line);
    expect(jsonLineSchema.safeParse(EXAMPLES[0]).success).toBe(false);
    expect(jsonLineSchema.safeParse({ ...line, v: 2 }).success).toBe(false);
    const sub = { ...line, agentId: 'a2', parentAgentId: 'a1' };
    expect(jsonLineSchema.parse(sub)).toEqual(sub);
    const spawned = { type: 'agent_spawned', agentId: 'a2', name: 'helper', task: 't', v: 1 };
    expect(jsonLineSchema.parse(spawned)).toEqual(spawned);
    // The current version is this folder's.
    expect(EVENT_CONTRACT_VERSION).toBe(EVENT_CONTRACT_V1);
  });
});
