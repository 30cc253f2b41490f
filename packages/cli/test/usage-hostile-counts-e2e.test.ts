/**
 * A model server's usage numbers are another party's words: a negative count is no refund. A
 * server (a compatible proxy, a compromised endpoint) that reported `completion_tokens:
 * -1000000000` made that call cost -$600 through the real binary, the daily cap counted it as
 * money back, and the next run spent past the cap. Each wire's own usage shape, replayed from a
 * recorded-style fixture by the testkit's mock, through `oxydra run`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

const chunk = (body: object) => JSON.stringify(body);

/** Anthropic's first event, with the usage it reports. */
const messageStart = (id: string, usage: object) =>
  chunk({
    type: 'message_start',
    message: {
      id,
      type: 'message',
      role: 'assistant',
      content: [],
      model: 'gpt-4o-mini',
      stop_reason: null,
      stop_sequence: null,
      usage,
    },
  });

/** One answer "hi" whose usage says a billion output tokens less than nothing. */
const NEGATIVE_USAGE: Record<string, string[]> = {
  'openai-chat': [
    chunk({
      id: 'c1',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'gpt-4o-mini',
      choices: [{ index: 0, delta: { role: 'assistant', content: 'hi' }, finish_reason: null }],
    }),
    chunk({
      id: 'c1',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'gpt-4o-mini',
      choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
    }),
    chunk({
      id: 'c1',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'gpt-4o-mini',
      choices: [],
      usage: { prompt_tokens: 10, completion_tokens: -1_000_000_000, total_tokens: -999_999_990 },
    }),
  ],
  anthropic: [
    messageStart('msg_1', { input_tokens: 10, output_tokens: 1 }),
    chunk({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    chunk({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'hi' } }),
    chunk({ type: 'content_block_stop', index: 0 }),
    chunk({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: -1_000_000_000, cache_read_input_tokens: -1_000_000_000 },
    }),
    chunk({ type: 'message_stop' }),
  ],
};

/** A `file_list` call whose usage has one invalid count (-1 prompt tokens) beside a valid one. */
const ONE_INVALID_COUNT: Record<string, string[]> = {
  'openai-chat': [
    chunk({
      id: 'c2',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'gpt-4o-mini',
      choices: [
        {
          index: 0,
          delta: {
            role: 'assistant',
            tool_calls: [
              {
                index: 0,
                id: 'call_1',
                type: 'function',
                function: { name: 'file_list', arguments: '{"path":"."}' },
              },
            ],
          },
          finish_reason: null,
        },
      ],
    }),
    chunk({
      id: 'c2',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'gpt-4o-mini',
      choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }],
    }),
    chunk({
      id: 'c2',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'gpt-4o-mini',
      choices: [],
      usage: { prompt_tokens: -1, completion_tokens: 1, total_tokens: 0 },
    }),
  ],
  anthropic: [
    messageStart('msg_2', { input_tokens: -1, output_tokens: 1 }),
    chunk({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'tool_use', id: 'toolu_1', name: 'file_list', input: {} },
    }),
    chunk({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'input_json_delta', partial_json: '{"path":"."}' },
    }),
    chunk({ type: 'content_block_stop', index: 0 }),
    chunk({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { output_tokens: 1 },
    }),
    chunk({ type: 'message_stop' }),
  ],
};

let env: AgentEnv | undefined;
afterEach(() => env?.close());

describe('usage a model server reports', () => {
  for (const target of E2E_APIS.filter((t) => t.api in NEGATIVE_USAGE)) {
    it(`${target.api}: a negative token count is no money back, and the daily cap still stops the next run`, async () => {
      const fixture = join(
        process.env.TMPDIR ?? '/tmp',
        `oxydra-negative-usage-${process.pid}-${target.api}.chunks.txt`,
      );
      writeFileSync(fixture, `${NEGATIVE_USAGE[target.api]!.join('\n')}\n`);
      // 100,000 prompt tokens of gpt-4o-mini: $0.015 a call; reserve_usd $0.02 a call.
      env = await AgentEnv.start(
        target,
        [
          { fixture },
          {
            reply: {
              toolCalls: [{ name: 'file_list', arguments: { path: '.' } }],
              usage: { input: 100_000, output: 0 },
            },
            times: 'always',
          },
        ],
        '\n[budgets]\nreserve_usd = 0.02\n',
      );
      expect((await env.run(['budget', 'set', '--user', 'local', '--daily', '0.05'])).status).toBe(0);

      const first = await env.run(['run', 'hello']);
      expect(first.status).toBe(0);
      expect(first.stderr).not.toContain('$-');
      expect((await env.run(['budget', 'show'])).stdout).not.toContain('$-');

      const second = await env.run(['run', '--max-turns', '8', 'list the files forever']);
      expect(second.status).toBe(1);
      expect(second.stderr).toMatch(/daily spending cap reached for user local/);
      // The hello's cost is unknown (one invalid count: G58), so charged as its $0.02 reserve; then
      // one call of $0.015, and a second's $0.02 reserve would pass $0.05. Before, the hello's
      // -$600 let all eight calls run (and, charged by its valid count alone, it cost next to nothing).
      expect(env.mock.requests.length).toBe(2);
    });
  }

  for (const target of E2E_APIS.filter((t) => t.api in ONE_INVALID_COUNT)) {
    it(`${target.api}: one invalid count makes the call's cost unknown, charged as its reserve, so the cap still stops the run`, async () => {
      const fixture = join(
        process.env.TMPDIR ?? '/tmp',
        `oxydra-one-invalid-count-${process.pid}-${target.api}.chunks.txt`,
      );
      writeFileSync(fixture, `${ONE_INVALID_COUNT[target.api]!.join('\n')}\n`);
      // Charged by its valid field alone, each call cost $0.0000006 and all eight ran under $0.05.
      env = await AgentEnv.start(target, [{ fixture, times: 'always' }], '\n[budgets]\nreserve_usd = 0.02\n');
      expect((await env.run(['budget', 'set', '--user', 'local', '--daily', '0.05'])).status).toBe(0);

      const run = await env.run(['run', '--max-turns', '8', 'list the files forever']);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/daily spending cap reached for user local/);
      // Each call's unknown cost is charged as its $0.02 reserve: a third would pass $0.05.
      expect(env.mock.requests.length).toBe(2);
      expect((await env.run(['budget', 'show'])).stdout).not.toContain('$-');
    });
  }
});
