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
    chunk({
      type: 'message_start',
      message: {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        content: [],
        model: 'gpt-4o-mini',
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 1 },
      },
    }),
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
      // The hello (10 prompt tokens), then two calls of $0.015: a third's $0.02 reserve would pass
      // $0.05. Before, the hello's -$600 let all eight calls run.
      expect(env.mock.requests.length).toBe(3);
    });
  }
});
