/** The request log: what a test can assert about what its client sent. */
import { type MockLLM, mockApiForProvider, startMockLLM } from '@oxydra/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { endpoint, type Loose, post } from './helpers.js';

let mock: MockLLM | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

const tools = [
  { type: 'function', function: { name: 'read_file', description: 'Read', parameters: { type: 'object' } } },
];

describe('recorded requests', () => {
  it('keep method, path, query, lower-cased headers, parsed body and raw text', async () => {
    mock = await startMockLLM({ api: 'openai-chat', scenario: [{ reply: { text: 'ok' } }] });
    expect(mock.url).toBe(`http://127.0.0.1:${mock.port}/v1`);
    const body = {
      model: 'gpt-test',
      stream: true,
      stream_options: { include_usage: true },
      tools,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'hi' },
      ],
    };
    await (
      await post(mock, '/chat/completions', body, {
        Authorization: 'Bearer sk-test',
        'X-Extra-Header': 'yes',
      })
    ).text();
    const [req] = mock.requests;
    expect(req).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      query: {},
      callIndex: 0,
      headers: {
        authorization: 'Bearer sk-test',
        'x-extra-header': 'yes',
        'content-type': 'application/json',
      },
      body,
    });
    expect(req?.raw).toBe(JSON.stringify(body));
    const sent = req?.body as Loose;
    expect(sent.messages.map((m: Loose) => m.role)).toEqual(['system', 'user']);
    expect(sent.tools[0].function.name).toBe('read_file');
    expect(sent.stream_options).toEqual({ include_usage: true });
  });

  it('anthropic: x-api-key, anthropic-version and a top-level system prompt', async () => {
    mock = await startMockLLM({ api: 'anthropic', scenario: [{ reply: { text: 'ok' } }] });
    expect(mock.url).toBe(`http://127.0.0.1:${mock.port}`);
    await (
      await post(
        mock,
        '/v1/messages',
        { model: 'c', max_tokens: 5, system: 'Be kind.', messages: [{ role: 'user', content: 'hi' }] },
        { 'x-api-key': 'sk-ant', 'anthropic-version': '2023-06-01' },
      )
    ).text();
    const [req] = mock.requests;
    expect(req?.headers['x-api-key']).toBe('sk-ant');
    expect(req?.headers['anthropic-version']).toBe('2023-06-01');
    expect(req?.body?.system).toBe('Be kind.');
  });

  it('gemini: x-goog-api-key, the model in the path and alt=sse in the query', async () => {
    mock = await startMockLLM({ api: 'gemini', scenario: [{ reply: { text: 'ok' } }] });
    await (
      await post(
        mock,
        endpoint('gemini', { model: 'gemini-2.5-pro' }),
        {
          systemInstruction: { parts: [{ text: 'Be brief.' }] },
          contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
        },
        { 'x-goog-api-key': 'AIza-test' },
      )
    ).text();
    const [req] = mock.requests;
    expect(req?.path).toBe('/v1beta/models/gemini-2.5-pro:streamGenerateContent');
    expect(req?.query).toEqual({ alt: 'sse' });
    expect(req?.headers['x-goog-api-key']).toBe('AIza-test');
    expect(req?.body?.systemInstruction).toEqual({ parts: [{ text: 'Be brief.' }] });
  });

  it('records requests to unknown paths and bodies that are not JSON, without a call index', async () => {
    mock = await startMockLLM({ api: 'openai-responses', scenario: [{ reply: { text: 'ok' } }] });
    const notFound = await post(mock, '/chat/completions', { model: 'x' });
    expect(notFound.status).toBe(404);
    expect(((await notFound.json()) as Loose).error.message).toBe(
      'Invalid URL (POST /v1/chat/completions): this mock-llm speaks openai-responses',
    );
    const broken = await post(mock, '/responses', '{not json');
    expect(broken.status).toBe(400);
    expect(mock.requests.map((r) => [r.path, r.callIndex, r.body, r.raw])).toEqual([
      ['/v1/chat/completions', undefined, { model: 'x' }, '{"model":"x"}'],
      ['/v1/responses', undefined, undefined, '{not json'],
    ]);
  });
});

describe('mockApiForProvider', () => {
  it('maps each configured provider type to the API its adapter speaks', () => {
    expect(
      (['openai', 'openai_responses', 'anthropic', 'gemini'] as const).map((type) =>
        mockApiForProvider(type),
      ),
    ).toEqual(['openai-chat', 'openai-responses', 'anthropic', 'gemini']);
  });
});
