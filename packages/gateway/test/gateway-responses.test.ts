/** POST /v1/responses (the Responses API) and Idempotency-Key replays, over a real kernel with a scripted model. */
import { type ModelEvent, ProviderError } from '@oxydra/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Gate,
  heldScript,
  jsonOf,
  postJson,
  ScriptedModel,
  startTestGateway,
  type TestGateway,
} from './helpers.js';

let env: TestGateway;
const runner = new ScriptedModel();
beforeAll(async () => {
  env = await startTestGateway({ model: runner });
});
afterAll(() => env.cleanup());

const post = (path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  postJson(env.gateway, path, body, headers, signal);

/** Reasoning, then two paragraphs of text. */
const thinkingScript = async function* (): AsyncGenerator<ModelEvent> {
  yield { type: 'reasoning_delta', text: 'Hmm, ' };
  yield { type: 'reasoning_delta', text: 'let me see.' };
  yield { type: 'text_delta', text: 'Looking.' };
  yield { type: 'text_delta', text: '\n\n' };
  yield { type: 'text_delta', text: 'Found it.' };
  yield {
    type: 'usage',
    usage: { inputTokens: 50, outputTokens: 9, cacheReadTokens: 20, reasoningTokens: 4 },
  };
  yield { type: 'finish', reason: 'stop' };
};

function sseEvents(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine!.slice(7), data: JSON.parse(dataLine!.slice(6)) as Record<string, unknown> };
    });
}

describe('responses API', () => {
  it('streams typed events whose final response equals the non-streamed one', async () => {
    runner.script = thinkingScript;
    const request = {
      model: 'default',
      instructions: 'be brief',
      input: [{ role: 'user', content: 'find it' }],
    };
    const whole = await jsonOf(await post('/v1/responses', request));
    expect(runner.calls.at(-1)).toMatchObject({
      prompt: 'find it',
      history: [{ role: 'system', content: 'be brief' }],
    });
    expect(whole).toMatchObject({
      object: 'response',
      status: 'completed',
      output: [
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Hmm, let me see.' }] },
        {
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Looking.\n\nFound it.' }],
        },
      ],
      usage: {
        input_tokens: 50,
        output_tokens: 9,
        input_tokens_details: { cached_tokens: 20 },
        output_tokens_details: { reasoning_tokens: 4 },
      },
    });

    const events = sseEvents(await (await post('/v1/responses', { ...request, stream: true })).text());
    expect(events.map((e) => e.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    const completed = events.at(-1)!.data.response as Record<string, unknown>;
    expect(completed.output).toEqual(
      (whole.output as Array<Record<string, unknown>>).map((item) => ({ ...item, id: expect.any(String) })),
    );
  });

  it('refuses input items that are not messages, naming the item', async () => {
    const response = await post('/v1/responses', {
      model: 'default',
      input: [{ type: 'function_call_output', call_id: 'c', output: 'x' }],
    });
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error.message).toContain(
      'input[0]: items of type "function_call_output"',
    );
  });
});

describe('Idempotency-Key', () => {
  it('a retry while the first request still runs follows it live, and the hang-up of the first does not cancel', async () => {
    const gate = new Gate();
    runner.script = heldScript(gate);
    const before = runner.calls.length;
    const body = { model: 'default', stream: true, messages: [{ role: 'user', content: 'slow' }] };
    const key = { 'idempotency-key': 'retry-me' };
    const hangUp = new AbortController();
    const first = await post('/v1/chat/completions', body, key, hangUp.signal);
    const reader = first.body!.getReader();
    let seen = '';
    while (!seen.includes('working')) seen += new TextDecoder().decode((await reader.read()).value);
    hangUp.abort();

    const retry = post('/v1/chat/completions', body, key);
    gate.release();
    const text = await (await retry).text();
    expect(text).toContain('"content":"working"');
    expect(text).toContain('"content":" done"');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(runner.calls.length - before).toBe(1);
    expect(runner.calls.at(-1)!.signal.aborted).toBe(false);
  });

  it('forgets a failure before any side effect, so its retry runs again', async () => {
    runner.script = async function* () {
      yield* [];
      // partialOutput: not retried by the provider layer, so the turn fails at once.
      throw new ProviderError('overloaded', {
        kind: 'overloaded',
        provider: 'openai',
        retryAfterMs: 2500,
        partialOutput: true,
      });
    };
    const before = runner.calls.length;
    const body = { model: 'default', messages: [{ role: 'user', content: 'x' }] };
    const failed = await post('/v1/chat/completions', body, { 'idempotency-key': 'k-fail' });
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('3');
    expect(failed.headers.get('retry-after-ms')).toBe('2500');
    await post('/v1/chat/completions', body, { 'idempotency-key': 'k-fail' });
    expect(runner.calls.length - before).toBe(2);
  });
});
