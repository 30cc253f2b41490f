/**
 * End to end: the real `oxydra gateway` binary against the testkit's mock LLM, driven by the
 * clients people use at their default settings: the official `openai` SDK, the Vercel AI SDK
 * (`@ai-sdk/openai-compatible` for chat, `@ai-sdk/openai` for the Responses API) and LangChain
 * (`@langchain/openai`). Side effects are counted in a file a shell command appends to.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { ChatOpenAI } from '@langchain/openai';
import { helloClient } from '@oxydra/gateway/testing/hello-client';
import type { ScenarioStep } from '@oxydra/testkit';
import { tool as aiTool, generateText, streamText } from 'ai';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AgentEnv } from './agent-env.js';
import { GatewayDaemon, generatedToken } from './gateway-daemon.js';

const OPENAI_CHAT = { type: 'openai' as const, api: 'openai-chat' as const };
const SIDE_EFFECTS = 'side-effects.txt';
type ErrorBody = { error: { code: string; message: string } };

let env: AgentEnv | undefined;
let daemon: GatewayDaemon | undefined;
afterEach(async () => {
  daemon?.kill('SIGKILL');
  await daemon?.exited;
  daemon = undefined;
  await env?.close();
  env = undefined;
});

async function start(steps: ScenarioStep[], extraToml = ''): Promise<{ url: string; token: string }> {
  env = await AgentEnv.start(OPENAI_CHAT, steps, extraToml);
  daemon = await GatewayDaemon.start(env);
  return { url: daemon.url, token: generatedToken(env) };
}

function clients(url: string, token: string) {
  return {
    openai: new OpenAI({ baseURL: `${url}/v1`, apiKey: token }),
    compatible: createOpenAICompatible({ name: 'oxydra', baseURL: `${url}/v1`, apiKey: token }),
    responses: createOpenAI({ baseURL: `${url}/v1`, apiKey: token }),
    langchain: (options: { streaming?: boolean } = {}) =>
      new ChatOpenAI({
        model: 'default',
        apiKey: token,
        configuration: { baseURL: `${url}/v1` },
        ...options,
      }),
  };
}

function sideEffects(): number {
  const file = join(env!.workspace, SIDE_EFFECTS);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
}

/** The tool runs (appending a line), then every later model call fails with HTTP 500. */
const FAILS_AFTER_TOOL: ScenarioStep[] = [
  {
    match: { lastMessageContains: 'append a line' },
    times: 'always',
    reply: {
      toolCalls: [{ name: 'shell_exec', arguments: { command: `echo ran >> ${SIDE_EFFECTS}` } }],
    },
  },
  { times: 'always', fault: { status: 500 } },
];

describe('the gateway with real OpenAI clients', () => {
  it('never lets a client re-run a turn that failed after a tool ran (each client at its defaults)', async () => {
    const { url, token } = await start(FAILS_AFTER_TOOL);
    const c = clients(url, token);
    const prompt = 'append a line to the file';

    const viaOpenai = await c.openai.chat.completions
      .create({ model: 'default', messages: [{ role: 'user', content: prompt }] })
      .catch((error: unknown) => error);
    expect(viaOpenai).toMatchObject({ status: 400, code: 'run_failed' });
    expect(sideEffects()).toBe(1);

    const viaOpenaiStream = await (async () => {
      const stream = await c.openai.chat.completions.create({
        model: 'default',
        stream: true,
        messages: [{ role: 'user', content: prompt }],
      });
      for await (const _ of stream);
    })().catch((error: unknown) => error);
    expect(viaOpenaiStream).toBeInstanceOf(OpenAI.APIError);
    expect(sideEffects()).toBe(2);

    const viaCompatible = await generateText({ model: c.compatible.chatModel('default'), prompt }).catch(
      (error: unknown) => error,
    );
    expect(viaCompatible).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(sideEffects()).toBe(3);

    const viaResponses = await generateText({ model: c.responses('default'), prompt }).catch(
      (error: unknown) => error,
    );
    expect(viaResponses).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(sideEffects()).toBe(4);

    const viaLangchain = await c
      .langchain()
      .invoke(prompt)
      .catch((error: unknown) => error);
    expect(viaLangchain).toMatchObject({ status: 400 });
    expect(sideEffects()).toBe(5);

    // The raw answer: a non-5xx status, a header that says "do not retry", one clear line.
    const raw = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: prompt }] }),
    });
    expect(raw.status).toBe(400);
    expect(raw.headers.get('x-should-retry')).toBe('false');
    const body = (await raw.json()) as ErrorBody;
    expect(body.error.code).toBe('run_failed');
    expect(body.error.message).toMatch(/^the agent's turn failed after its tools ran \(provider_error: /);
    expect(body.error.message).not.toContain('sk-');
    expect(sideEffects()).toBe(6);
  });

  it('answers a retried Idempotency-Key with the first result instead of running again', async () => {
    const { url, token } = await start([
      {
        match: { lastMessageContains: 'append a line' },
        times: 'always',
        reply: {
          text: 'Appending.',
          toolCalls: [{ name: 'shell_exec', arguments: { command: `echo ran >> ${SIDE_EFFECTS}` } }],
        },
      },
      { times: 'always', reply: { text: 'Done.' } },
    ]);
    const post = (key: string, stream: boolean, prompt = 'append a line please') =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify({ model: 'default', stream, messages: [{ role: 'user', content: prompt }] }),
      });
    const first = (await (await post('key-1', false)).json()) as OpenAI.ChatCompletion;
    const again = await (await post('key-1', false)).json();
    expect(again).toEqual(first);
    expect(first.choices[0]?.message.content).toBe('Appending.\n\nDone.');
    expect(sideEffects()).toBe(1);
    const streamed = await (await post('key-2', true)).text();
    expect(await (await post('key-2', true)).text()).toBe(streamed);
    expect(sideEffects()).toBe(2);
    const reused = await post('key-1', false, 'append a line, but another request');
    expect(reused.status).toBe(400);
    expect(((await reused.json()) as ErrorBody).error.code).toBe('idempotency_key_reused');
    expect(sideEffects()).toBe(2);
  });

  it('answers failures before any side effect with 5xx + Retry-After, and says when it already retried', async () => {
    const { url, token } = await start([{ times: 'always', fault: { status: 500 } }]);
    const raw = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }),
    });
    // The mock's 500 is an overloaded provider: unavailable for now, worth a retry.
    expect(raw.status).toBe(503);
    expect(raw.headers.get('retry-after')).toBe('1');
    // The provider policy made its 3 attempts already: a client that multiplies them gains little.
    expect(raw.headers.get('x-should-retry')).toBe('false');
    expect(((await raw.json()) as ErrorBody).error.message).toMatch(/gave up after 3 attempts/);
    const before = env!.mock.requests.length;
    const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: token, maxRetries: 5 });
    await expect(
      openai.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({ status: 503, code: 'provider_error' });
    // One HTTP attempt (the SDK honours x-should-retry), its model call tried 3 times by the policy.
    expect(env!.mock.requests.length - before).toBe(3);
  });

  it("one client's failing requests do not open the breaker for everyone; an open one answers 503 + Retry-After", async () => {
    const { url, token } = await start([
      { match: { lastMessageContains: 'fail' }, times: 'always', fault: { status: 500 } },
      { times: 'always', reply: { text: 'Still serving.' } },
    ]);
    const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: token, maxRetries: 0 });
    const ask = (content: string) =>
      openai.chat.completions.create({ model: 'default', messages: [{ role: 'user', content }] });
    for (let i = 0; i < 2; i++) await expect(ask('please fail')).rejects.toMatchObject({ status: 503 });
    // 6 failed provider attempts, but only 2 failed calls: under the threshold of 5.
    expect((await ask('hello')).choices[0]?.message.content).toBe('Still serving.');

    for (let i = 0; i < 5; i++) await expect(ask('please fail')).rejects.toMatchObject({ status: 503 });
    const refused = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(1);
    expect(((await refused.json()) as ErrorBody).error.message).toMatch(/circuit breaker for mock is open/);
  });

  it('streamed and whole answers agree: model calls a paragraph apart, everywhere', async () => {
    const { url, token } = await start([
      {
        match: { lastMessageContains: 'greet' },
        times: 'always',
        reply: {
          text: 'Let me look.',
          toolCalls: [{ name: 'shell_exec', arguments: { command: 'echo hi' } }],
        },
      },
      { times: 'always', reply: { text: 'Hello there.', textChunks: 3 } },
    ]);
    const c = clients(url, token);
    const answer = 'Let me look.\n\nHello there.';
    const messages = [{ role: 'user' as const, content: 'greet me' }];

    const whole = await c.openai.chat.completions.create({ model: 'default', messages });
    expect(whole.choices[0]?.message.content).toBe(answer);
    let streamed = '';
    for await (const chunk of await c.openai.chat.completions.create({
      model: 'default',
      messages,
      stream: true,
    }))
      streamed += chunk.choices[0]?.delta?.content ?? '';
    expect(streamed).toBe(answer);

    const viaResponses = await c.openai.responses.create({ model: 'default', input: 'greet me' });
    expect(viaResponses.output_text).toBe(answer);
    expect((await generateText({ model: c.responses('default'), prompt: 'greet me' })).text).toBe(answer);
    const stream = streamText({ model: c.responses('default'), prompt: 'greet me' });
    expect(await stream.text).toBe(answer);
    expect((await generateText({ model: c.compatible.chatModel('default'), prompt: 'greet me' })).text).toBe(
      answer,
    );
    expect((await c.langchain().invoke('greet me')).content).toBe(answer);
    let langchainStreamed = '';
    for await (const chunk of await c.langchain({ streaming: true }).stream('greet me'))
      langchainStreamed += String(chunk.content);
    expect(langchainStreamed).toBe(answer);

    // The WebSocket protocol: joined assistant_delta frames equal turn_completed's message.
    const { client, inbox, ack } = await helloClient(daemon!.wsUrl, {}, token);
    client.send('send_turn', {
      session_id: ack.session.session_id,
      turn_id: 't',
      prompt: 'greet me',
    });
    const completed = await inbox.take('turn_completed', () => true, 15_000);
    const deltas = inbox.frames.flatMap((f) => (f.type === 'assistant_delta' ? [f.payload.delta] : []));
    client.close();
    expect(completed.payload.response.message).toBe(answer);
    expect(deltas.join('')).toBe(answer);

    // `oxydra run > answer.md`: stdout is the same answer (and a final newline).
    const run = await env!.run(['run', 'greet me']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${answer}\n`);
  });

  it('implements response_format json_schema: LangChain withStructuredOutput works, a wrong answer is an error', async () => {
    const { url, token } = await start([
      {
        match: { lastMessageContains: 'Ada' },
        times: 'always',
        reply: { text: '{"name":"Ada","born":1815}' },
      },
      { times: 'always', reply: { text: 'Sure! {"name": "Bob"}' } },
    ]);
    const c = clients(url, token);
    const person = z.object({ name: z.string(), born: z.number() });
    const structured = c.langchain().withStructuredOutput(person, { name: 'person' });
    expect(await structured.invoke('Who wrote the first program? Ada...')).toEqual({
      name: 'Ada',
      born: 1815,
    });
    // The agent was told the schema.
    expect(env!.mock.requests.at(-1)!.raw).toContain(
      'must be a single JSON value that matches this JSON schema',
    );

    const viaResponses = await c.openai.responses.create({
      model: 'default',
      input: 'Tell me about Ada',
      text: { format: { type: 'json_schema', name: 'person', schema: z.toJSONSchema(person) } },
    });
    expect(JSON.parse(viaResponses.output_text)).toEqual({ name: 'Ada', born: 1815 });

    const wrong = await c.openai.chat.completions
      .create(
        {
          model: 'default',
          messages: [{ role: 'user', content: 'who are you?' }],
          response_format: {
            type: 'json_schema',
            json_schema: { name: 'person', schema: z.toJSONSchema(person) as Record<string, unknown> },
          },
        },
        { maxRetries: 0 },
      )
      .catch((error: unknown) => error);
    expect(wrong).toMatchObject({ status: 502, code: 'invalid_structured_output' });
    expect((wrong as Error).message).toContain("the agent's final answer is not JSON");
  });

  it('says what it does not support (400 unsupported_parameter), serves /v1/models/{id}, never leaks Fastify codes', async () => {
    const { url, token } = await start([{ times: 'always', reply: { text: 'unused' } }]);
    const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: token });
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const tool = { type: 'function' as const, function: { name: 'f', parameters: { type: 'object' } } };
    for (const [extra, name] of [
      [{ tools: [tool] }, 'tools'],
      [{ tool_choice: 'required' }, 'tool_choice'],
      [{ n: 2 }, 'n'],
      // Asked for audio output, a client would get text only and fail later, confusingly.
      [{ modalities: ['text', 'audio'] }, 'modalities'],
    ] as const) {
      await expect(
        openai.chat.completions.create({ model: 'default', messages, ...extra } as never),
      ).rejects.toMatchObject({
        status: 400,
        code: 'unsupported_parameter',
        message: expect.stringContaining(`"${name}"`),
      });
    }
    await expect(
      openai.responses.create({ model: 'default', input: 'hi', previous_response_id: 'resp_1' }),
    ).rejects.toMatchObject({ status: 400, code: 'unsupported_parameter' });
    const c = clients(url, token);
    const weather = aiTool({
      description: 'the weather',
      inputSchema: z.object({}),
      execute: async () => 'sunny',
    });
    for (const model of [c.compatible.chatModel('default'), c.responses('default')]) {
      const refused = await generateText({ model, prompt: 'weather?', tools: { weather } }).catch(
        (error: unknown) => error,
      );
      expect(refused).toMatchObject({ statusCode: 400, isRetryable: false });
      expect((refused as { responseBody: string }).responseBody).toContain(
        'unsupported parameter \\"tools\\"',
      );
    }
    const bound = c.langchain().bindTools([
      {
        type: 'function',
        function: { name: 'f', description: 'f', parameters: { type: 'object', properties: {} } },
      },
    ]);
    await expect(bound.invoke('hi')).rejects.toMatchObject({ status: 400, code: 'unsupported_parameter' });
    expect(env!.mock.requests).toHaveLength(0);

    expect(await openai.models.retrieve('default')).toMatchObject({ id: 'default', object: 'model' });
    await expect(openai.models.retrieve('nope')).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });

    for (const [body, type] of [
      ['{"model":', 'application/json'],
      ['', 'application/json'],
      ['model=default', 'application/x-www-form-urlencoded'],
    ]) {
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': type! },
        body,
      });
      const text = await response.text();
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(text).not.toContain('FST_');
    }
  });

  it('passes reasoning and cached / reasoning token usage through, and keeps a quiet stream alive', async () => {
    const { url, token } = await start(
      [
        {
          match: { lastMessageContains: 'slow' },
          times: 'always',
          reply: { toolCalls: [{ name: 'shell_exec', arguments: { command: 'sleep 2.5' } }] },
        },
        {
          times: 'always',
          reply: {
            reasoning: 'Thinking it over.',
            text: 'Answer.',
            usage: { input: 10, output: 20, cacheRead: 30, reasoning: 5 },
          },
        },
      ],
      '\n[gateway]\nsse_keepalive_secs = 1\n',
    );
    const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: token });
    const whole = await openai.chat.completions.create({
      model: 'default',
      messages: [{ role: 'user', content: 'think' }],
    });
    expect(whole.choices[0]?.message).toMatchObject({
      content: 'Answer.',
      reasoning_content: 'Thinking it over.',
    });
    expect(whole.usage).toMatchObject({
      prompt_tokens_details: { cached_tokens: 30 },
      completion_tokens_details: { reasoning_tokens: 5 },
    });
    const responses = createOpenAI({ baseURL: `${url}/v1`, apiKey: token });
    const viaResponses = await generateText({ model: responses('default'), prompt: 'think' });
    expect(viaResponses.reasoningText).toBe('Thinking it over.');
    expect(viaResponses.usage).toMatchObject({ cachedInputTokens: 30, reasoningTokens: 5 });

    const raw = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'default',
        stream: true,
        messages: [{ role: 'user', content: 'be slow' }],
      }),
    });
    const text = await raw.text();
    expect(text).toContain(': keep-alive\n\n');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });
});
