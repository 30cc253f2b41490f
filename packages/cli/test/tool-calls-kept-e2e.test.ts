/**
 * What is kept of an answer of thousands of tool calls, through the real binary and each mocked
 * wire: before, every call of the answer stayed in the stored assistant message with a result
 * each (the 128 run, every other one "not run"), so an answer of 400,000 calls stored 400,000 of
 * each in the session and sent them all in every later request. Now the message keeps the first
 * MAX_CALLS_KEPT (136) calls, each with its result (every wire pairs them), the last result
 * saying how many were dropped; the next request, and a later run of the session, send 136.
 */
import { describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

const COUNT = 2000;
const KEPT = 136;

/** The tool calls and the tool results a request body holds, by each wire's own shapes. */
function pairs(body: unknown): { calls: number; results: number } {
  let calls = 0;
  let results = 0;
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    if (record.type === 'tool_use' || record.type === 'function_call') calls += 1; // Anthropic, Responses
    if (record.type === 'tool_result' || record.type === 'function_call_output') results += 1;
    if (Array.isArray(record.tool_calls)) calls += record.tool_calls.length; // OpenAI Chat
    if (record.role === 'tool' && typeof record.tool_call_id === 'string') results += 1;
    if ('functionCall' in record) calls += 1; // Gemini
    if ('functionResponse' in record) results += 1;
    for (const [key, inner] of Object.entries(record)) if (key !== 'tool_calls') walk(inner);
  };
  walk(body);
  return { calls, results };
}

describe.each(E2E_APIS)('an answer of $type with thousands of tool calls', (target) => {
  it(`keeps ${KEPT} of ${COUNT} calls, each with its result, in the session and the next requests`, async ({
    onTestFinished,
  }) => {
    const env = await AgentEnv.startFor(onTestFinished, target, [
      {
        reply: {
          toolCalls: Array.from({ length: COUNT }, (_, i) => ({
            name: 'file_search',
            arguments: { path: '.', query: `needle${i}` },
          })),
        },
      },
      { reply: { text: 'done' } },
      { reply: { text: 'again' } },
    ]);
    const first = await env.run(['run', '--json', '--session', 'big', 'search for the needles']);
    expect(first.status, first.stderr).toBe(0);
    const second = await env.run(['run', '--json', '--session', 'big', 'and now?']);
    expect(second.status, second.stderr).toBe(0);

    // The request after the answer, then the later run's, from the stored session.
    for (const request of [env.mock.requests[1], env.mock.requests[2]]) {
      expect(pairs(request?.body)).toEqual({ calls: KEPT, results: KEPT });
      const text = JSON.stringify(request?.body);
      expect(text.split('not run: one answer').length - 1).toBe(KEPT - 128);
      expect(text).toContain(
        `this was call ${KEPT} of ${COUNT}; calls ${KEPT + 1} to ${COUNT} were not run either and were dropped from the conversation`,
      );
      expect(text).not.toContain(`needle${KEPT}`);
    }
  }, 180_000);
});
