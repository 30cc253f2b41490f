/**
 * `oxydra run --json` is a versioned contract (event contract v1, @oxydra/types/events): the real
 * binary against the testkit's mock LLM, one tool call and an answer. Every line must parse
 * against the v1 line schema (strict: an unannounced field fails), and the sequence of lines —
 * their types, fields and stable values, with run-specific values (durations, ids, hashes)
 * replaced by their kind — is a committed snapshot, so a change to the contract shows in review.
 */
import { jsonLineSchema } from '@oxydra/types/events';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv } from './agent-env.js';

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** Values that differ from run to run, by field name: shown as their kind in the snapshot. */
const VOLATILE = new Set(['durationMs', 'elapsedMs', 'sessionId', 'hash', 'seq', 'id', 'costUsd']);

function normalise(value: unknown, key?: string): unknown {
  if (key !== undefined && VOLATILE.has(key)) return value === null ? null : `<${typeof value}>`;
  if (Array.isArray(value)) return value.map((item) => normalise(item));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => (a === 'type' ? -1 : b === 'type' ? 1 : a.localeCompare(b)))
        .map(([k, v]) => [k, normalise(v, k)]),
    );
  }
  return value;
}

describe('oxydra run --json against event contract v1', () => {
  it('every line parses against the v1 schema, and the sequence is the committed snapshot', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, [
      {
        reply: {
          text: 'Writing it.',
          toolCalls: [{ name: 'file_write', arguments: { path: 'note.txt', content: 'hello\n' } }],
          usage: { input: 120, output: 9 },
        },
      },
      { reply: { text: 'Saved note.txt.', usage: { input: 160, output: 5 } } },
    ]);
    const result = await env.run(['run', '--json', 'Write a note']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n').filter((line) => line !== '');
    const parsed = lines.map((line) => jsonLineSchema.safeParse(JSON.parse(line)));
    const invalid = parsed.flatMap((p, i) => (p.success ? [] : [`${lines[i]}\n  ${p.error.message}`]));
    expect(invalid).toEqual([]);
    const end = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(end).toMatchObject({ v: 1, type: 'run_completed', sessionId: expect.any(String) });
    const toolEnd = result.events.find((e) => e.type === 'tool_execution_end');
    expect(toolEnd).toMatchObject({ data: { path: 'note.txt', created: true } });
    // A heartbeat comes only when a tool runs long (a loaded machine): timing, not contract.
    const stable = lines.filter((line) => !line.includes('"kind":"tool_heartbeat"'));
    const snapshot = stable.map((line) => JSON.stringify(normalise(JSON.parse(line)))).join('\n');
    await expect(`${snapshot}\n`).toMatchFileSnapshot('__snapshots__/run-json-contract.jsonl');
  });
});
