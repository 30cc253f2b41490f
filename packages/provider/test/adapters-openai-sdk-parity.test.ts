/**
 * The OpenAI adapters and embedder send what the openai SDK sent for them: the same URL, method
 * and body bytes, and the same values for the headers both send. The SDK stays a dev dependency
 * for this (and for the gateway tests' clients); it is configured here as the adapters configured
 * it before they moved to fetch (no retries, explicit nulls for organization and project).
 */
import type { Context } from '@oxydra/types';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { type AdapterOptions, apiKeyOf } from '../src/adapters/define.js';
import { chatRequest, createOpenAIChatProvider } from '../src/adapters/openai-chat/provider.js';
import { createOpenAIResponsesProvider } from '../src/adapters/openai-responses/provider.js';
import { responsesInput, responsesRequest } from '../src/adapters/openai-responses/request.js';
import { createOpenAIEmbedder } from '../src/embeddings/index.js';
import { BASIC_CONTEXT, collectEvents, TEST_KEY } from './helpers-adapters.js';
import { CONVERSATION, PNG_BASE64 } from './helpers-adapters-context.js';

interface Sent {
  url: string;
  method: string | undefined;
  headers: Record<string, string>;
  body: string;
}

/** A fetch that records each request and answers `answer()`. */
function recorder(answer: () => Response): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetcher: typeof fetch = async (input, init) => {
    sent.push({
      url: String(input),
      method: init?.method,
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: String(init?.body),
    });
    return answer();
  };
  return { fetch: fetcher, sent };
}

/** Ends each call quickly: the request is what these tests look at. */
const refuse = () =>
  new Response(JSON.stringify({ error: { message: 'recorded', type: 'invalid_request_error' } }), {
    status: 400,
    headers: { 'content-type': 'application/json' },
  });

/** The client the adapters built until they moved to fetch. */
function sdkClient(options: AdapterOptions, fetcher: typeof fetch): OpenAI {
  return new OpenAI({
    apiKey: apiKeyOf(options),
    baseURL: options.baseURL,
    maxRetries: 0,
    adminAPIKey: null,
    organization: null,
    project: null,
    webhookSecret: null,
    fetch: fetcher,
    ...(options.extraHeaders !== undefined ? { defaultHeaders: options.extraHeaders } : {}),
  });
}

/** The SDK's request and ours agree on everything but the SDK's own headers and the user agent. */
function expectSameRequest(sdk: Sent | undefined, ours: Sent | undefined): void {
  expect(ours?.url).toBe(sdk?.url);
  expect(ours?.method).toBe(sdk?.method);
  expect(ours?.body).toBe(sdk?.body);
  const shared = Object.keys(ours?.headers ?? {}).filter((name) => name !== 'user-agent');
  expect(shared.length).toBeGreaterThanOrEqual(3);
  for (const name of shared) expect([name, ours?.headers[name]]).toEqual([name, sdk?.headers[name]]);
  const sdkOnly = Object.keys(sdk?.headers ?? {}).filter((name) => !(name in (ours?.headers ?? {})));
  expect(sdkOnly.every((name) => name.startsWith('x-stainless-'))).toBe(true);
  expect(ours?.headers['user-agent']).toBe('oxydra/0.1.0');
}

const IMAGE_TURN: Context = {
  model: 'gpt-4o-mini',
  temperature: 0.3,
  maxOutputTokens: 64,
  reasoning: { effort: 'low' },
  messages: [
    { role: 'system', content: 'Be brief.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is this? ünïcödé ✓' },
        { type: 'attachment', mimeType: 'image/png', data: PNG_BASE64 },
      ],
    },
  ],
};

const CASES: { title: string; options: AdapterOptions; context: Context }[] = [
  {
    title: 'a first turn',
    options: { name: 'local', baseURL: 'http://127.0.0.1:9/v1', apiKey: TEST_KEY },
    context: BASIC_CONTEXT,
  },
  {
    title: 'a conversation with tools, no key, extra headers and a trailing slash',
    options: {
      name: 'local',
      baseURL: 'http://127.0.0.1:9/v1/',
      extraHeaders: { 'X-Title': 'oxydra', 'HTTP-Referer': 'https://example.test' },
    },
    context: CONVERSATION,
  },
  {
    title: 'an image, reasoning and every option, on api.openai.com',
    options: { name: 'openai', baseURL: 'https://api.openai.com/v1', apiKey: TEST_KEY },
    context: IMAGE_TURN,
  },
];

describe('OpenAI requests are the ones the openai SDK sent', () => {
  for (const { title, options, context } of CASES) {
    it(`Chat Completions: ${title}`, async () => {
      const sdk = recorder(refuse);
      await sdkClient(options, sdk.fetch)
        .chat.completions.create(chatRequest(context, { provider: options.name, baseURL: options.baseURL }))
        .catch(() => undefined);
      const ours = recorder(refuse);
      await collectEvents(createOpenAIChatProvider({ ...options, fetch: ours.fetch }).stream(context)).catch(
        () => undefined,
      );
      expectSameRequest(sdk.sent[0], ours.sent[0]);
    });

    it(`Responses: ${title}`, async () => {
      const sdk = recorder(refuse);
      const { instructions, items } = responsesInput(context, options.name);
      await sdkClient(options, sdk.fetch)
        .responses.create(responsesRequest(context, items, instructions, undefined))
        .catch(() => undefined);
      const ours = recorder(refuse);
      await collectEvents(
        createOpenAIResponsesProvider({ ...options, fetch: ours.fetch }).stream(context),
      ).catch(() => undefined);
      expectSameRequest(sdk.sent[0], ours.sent[0]);
    });
  }

  it.each([
    ['the model and texts', { model: 'text-embedding-3-small' }],
    ['dimensions', { model: 'text-embedding-3-large', dimensions: 256 }],
  ])('embeddings: %s', async (_, params) => {
    const options = { name: 'openai', baseURL: 'http://127.0.0.1:9/v1', apiKey: TEST_KEY };
    const texts = ['first text', 'second: ünïcödé'];
    const sdk = recorder(refuse);
    // Key for key as the embedder called the SDK: model, input, then dimensions when set.
    const { model, ...dimensions } = params;
    await sdkClient(options, sdk.fetch)
      .embeddings.create({ model, input: texts, ...dimensions })
      .catch(() => undefined);
    const ours = recorder(refuse);
    await createOpenAIEmbedder({ ...options, ...params, fetch: ours.fetch })
      .embed(texts)
      .catch(() => undefined);
    expectSameRequest(sdk.sent[0], ours.sent[0]);
    expect(JSON.parse(ours.sent[0]?.body ?? '{}')).toMatchObject({ encoding_format: 'base64' });
  });
});
