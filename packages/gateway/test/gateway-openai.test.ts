/** POST /v1/chat/completions (OpenAI-compatible, streaming and not) and GET /v1/models. */
import { pollUntil } from '@oxydra/testkit/helpers';
import { ProviderError } from '@oxydra/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Gate,
  heldScript,
  jsonOf,
  postJson,
  ScriptedModel,
  startTestGateway,
  type TestGateway,
  TOKEN,
} from './helpers.js';

let env: TestGateway;
const runner = new ScriptedModel();
beforeAll(async () => {
  env = await startTestGateway({ model: runner });
});
afterAll(() => env.cleanup());

const post = (body: unknown) => postJson(env.gateway, '/v1/chat/completions', body);

describe('chat completions', () => {
  it('answers with one chat.completion: the last user message is the prompt, earlier ones the history', async () => {
    const response = await post({
      model: 'default',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'second ' },
            { type: 'text', text: 'question' },
          ],
        },
      ],
    });
    expect(response.status).toBe(200);
    const body = await jsonOf(response);
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'default',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'echo: second question' }, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
    });
    expect(body.id).toMatch(/^chatcmpl-/);
    const call = runner.calls.at(-1)!;
    expect(call.prompt).toBe('second question');
    expect(env.spawns.at(-1)).toMatchObject({ agentName: 'default', userId: 'default' });
    expect(env.spawns.at(-1)!.sessionId).toBeUndefined(); // stateless: nothing stored
    expect(call.history).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'first answer' },
    ]);
  });

  it('streams chat.completion.chunk events and ends with [DONE]', async () => {
    const response = await post({
      model: 'writer',
      stream: true,
      stream_options: { include_usage: true },
      user: 'sam',
      messages: [{ role: 'user', content: 'stream this' }],
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await response.text()).split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.replace(/^data: /, '')));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'writer')).toBe(true);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe('echo: stream this');
    expect(chunks.at(-2).choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 3 } });
    expect(env.spawns.at(-1)).toMatchObject({ agentName: 'writer', userId: 'sam' });
  });

  it('reports a failed run: an HTTP error when whole, an error event in a stream', async () => {
    const saved = runner.script;
    runner.script = async function* () {
      yield { type: 'text_delta', text: 'partial' };
      throw new ProviderError('the provider answered 500', {
        kind: 'transport',
        provider: 'openai',
        status: 500,
        partialOutput: true,
      });
    };
    try {
      const whole = await post({ model: 'default', messages: [{ role: 'user', content: 'x' }] });
      expect(whole.status).toBe(502);
      expect((await jsonOf(whole)).error).toMatchObject({
        code: 'provider_error',
        message: 'the provider answered 500',
        type: 'server_error',
      });
      const streamed = await (
        await post({ model: 'default', stream: true, messages: [{ role: 'user', content: 'x' }] })
      ).text();
      expect(streamed).toContain('"error":{"message":"the provider answered 500"');
    } finally {
      runner.script = saved;
    }
  });

  it('cancels the turn when the HTTP client hangs up mid-stream', async () => {
    const saved = runner.script;
    runner.script = heldScript(new Gate());
    try {
      const abort = new AbortController();
      const response = await postJson(
        env.gateway,
        '/v1/chat/completions',
        { model: 'default', stream: true, messages: [{ role: 'user', content: 'long' }] },
        {},
        abort.signal,
      );
      const reader = response.body!.getReader();
      let text = '';
      while (!text.includes('working')) text += new TextDecoder().decode((await reader.read()).value);
      abort.abort();
      const call = runner.calls.at(-1)!;
      await pollUntil(() => call.signal.aborted, 'the turn to be cancelled');
    } finally {
      runner.script = saved;
    }
  });

  it('refuses bad requests with OpenAI-style errors', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ model: 'ghost', messages: [{ role: 'user', content: 'x' }] }, 404, 'model_not_found'],
      [
        {
          model: 'default',
          messages: [
            { role: 'user', content: 'x' },
            { role: 'assistant', content: 'y' },
          ],
        },
        400,
        'invalid_request',
      ],
      [
        {
          model: 'default',
          messages: [
            { role: 'tool', content: 'x' },
            { role: 'user', content: 'y' },
          ],
        },
        400,
        'invalid_request',
      ],
      [
        { model: 'default', messages: [{ role: 'user', content: [{ type: 'image_url' }] }] },
        400,
        'invalid_request',
      ],
      [{ model: 'default', messages: [] }, 400, 'invalid_request'],
      [{ messages: [{ role: 'user', content: 'x' }] }, 400, 'invalid_request'],
      [
        { model: 'default', user: 'has spaces', messages: [{ role: 'user', content: 'x' }] },
        400,
        'invalid_user',
      ],
    ];
    for (const [body, status, code] of cases) {
      const response = await post(body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect((await jsonOf(response)).error.code).toBe(code);
    }
    const notJson = await fetch(`${env.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{oops',
    });
    expect(notJson.status).toBe(400);
  });

  it('refuses a body over max_frame_bytes (413)', async () => {
    const response = await post({
      model: 'default',
      messages: [{ role: 'user', content: 'x'.repeat(1_100_000) }],
    });
    expect(response.status).toBe(413);
    expect((await jsonOf(response)).error.code).toBe('frame_too_large');
  });

  it('lists the agents as models', async () => {
    const response = await fetch(`${env.gateway.url}/v1/models`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const body = await jsonOf(response);
    expect(body.data.map((m: { id: string }) => m.id)).toEqual(['default', 'writer']);
  });
});
