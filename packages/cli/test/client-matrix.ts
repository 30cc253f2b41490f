/**
 * The client matrix of issue 31: every mainstream OpenAI client at its default settings, each
 * call it offers (whole or streamed, Chat Completions or Responses), against a real gateway whose
 * model fails either before any tool ran or after one did. Each cell counts what the user pays
 * (model calls, tool runs) and what the client made of it (an error, or an answer).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { ChatOpenAI } from '@langchain/openai';
import type { ScenarioStep } from '@oxydra/testkit';
import { generateText, streamText } from 'ai';
import OpenAI from 'openai';
import { AgentEnv } from './agent-env.js';
import { GatewayDaemon, generatedToken } from './gateway-daemon.js';

export const SIDE_EFFECTS = 'side-effects.txt';

export type FailurePoint = 'before any tool' | 'after a tool ran';

/** The model's script: a tool first (for "after a tool ran"), then every model call fails with 500. */
export function failingScript(point: FailurePoint): ScenarioStep[] {
  const fail: ScenarioStep = { times: 'always', fault: { status: 500 } };
  if (point === 'before any tool') return [fail];
  return [
    {
      match: { lastMessageContains: 'append a line' },
      times: 'always',
      reply: { toolCalls: [{ name: 'shell_exec', arguments: { command: `echo ran >> ${SIDE_EFFECTS}` } }] },
    },
    fail,
  ];
}

interface Target {
  url: string;
  token: string;
}

/** What the client handed its caller: an error (and whether it said it may retry), or an answer. */
export type ClientResult = { kind: 'error'; message: string } | { kind: 'answer'; text: string };

export interface Cell {
  client: string;
  call: string;
  run(target: Target, prompt: string): Promise<ClientResult>;
}

async function settle(work: () => Promise<string>): Promise<ClientResult> {
  try {
    return { kind: 'answer', text: await work() };
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
}

const openai = (t: Target) => new OpenAI({ baseURL: `${t.url}/v1`, apiKey: t.token });
const aiResponses = (t: Target) => createOpenAI({ baseURL: `${t.url}/v1`, apiKey: t.token });
const aiCompatible = (t: Target) =>
  createOpenAICompatible({ name: 'oxydra', baseURL: `${t.url}/v1`, apiKey: t.token });
const langchain = (t: Target, options: { streaming?: boolean; useResponsesApi?: boolean }) =>
  new ChatOpenAI({
    model: 'default',
    apiKey: t.token,
    configuration: { baseURL: `${t.url}/v1` },
    ...options,
  });

/**
 * streamText never throws: a failure is an `error` part. Read the whole stream as a user of
 * fullStream would, and report the first error part as the error it is.
 */
async function aiStreamed(model: Parameters<typeof streamText>[0]['model'], prompt: string): Promise<string> {
  let text = '';
  let failure: unknown;
  const result = streamText({ model, prompt, onError: () => {} });
  for await (const part of result.fullStream) {
    if (part.type === 'text-delta') text += part.text;
    else if (part.type === 'error') failure ??= part.error;
  }
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(JSON.stringify(failure));
  return text;
}

export const CELLS: Cell[] = [
  {
    client: 'openai',
    call: 'chat.completions.create',
    run: (t, prompt) =>
      settle(async () => {
        const answer = await openai(t).chat.completions.create({
          model: 'default',
          messages: [{ role: 'user', content: prompt }],
        });
        return answer.choices[0]?.message.content ?? '';
      }),
  },
  {
    client: 'openai',
    call: 'chat.completions.create stream',
    run: (t, prompt) =>
      settle(async () => {
        let text = '';
        const stream = await openai(t).chat.completions.create({
          model: 'default',
          stream: true,
          messages: [{ role: 'user', content: prompt }],
        });
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
        return text;
      }),
  },
  {
    client: 'openai',
    call: 'responses.create',
    run: (t, prompt) =>
      settle(async () => (await openai(t).responses.create({ model: 'default', input: prompt })).output_text),
  },
  {
    client: 'openai',
    call: 'responses.create stream',
    run: (t, prompt) =>
      settle(async () => {
        let text = '';
        const stream = await openai(t).responses.create({ model: 'default', input: prompt, stream: true });
        // No check for response.failed here: the SDK itself must raise the failure.
        for await (const event of stream)
          if (event.type === 'response.output_text.delta') text += event.delta;
        return text;
      }),
  },
  {
    client: 'ai (@ai-sdk/openai, Responses)',
    call: 'generateText',
    run: (t, prompt) =>
      settle(async () => (await generateText({ model: aiResponses(t)('default'), prompt })).text),
  },
  {
    client: 'ai (@ai-sdk/openai, Responses)',
    call: 'streamText',
    run: (t, prompt) => settle(() => aiStreamed(aiResponses(t)('default'), prompt)),
  },
  {
    client: 'ai (@ai-sdk/openai .chat)',
    call: 'generateText',
    run: (t, prompt) =>
      settle(async () => (await generateText({ model: aiResponses(t).chat('default'), prompt })).text),
  },
  {
    client: 'ai (@ai-sdk/openai .chat)',
    call: 'streamText',
    run: (t, prompt) => settle(() => aiStreamed(aiResponses(t).chat('default'), prompt)),
  },
  {
    client: 'ai (@ai-sdk/openai-compatible)',
    call: 'generateText',
    run: (t, prompt) =>
      settle(async () => (await generateText({ model: aiCompatible(t).chatModel('default'), prompt })).text),
  },
  {
    client: 'ai (@ai-sdk/openai-compatible)',
    call: 'streamText',
    run: (t, prompt) => settle(() => aiStreamed(aiCompatible(t).chatModel('default'), prompt)),
  },
  {
    client: '@langchain/openai',
    call: 'invoke',
    run: (t, prompt) => settle(async () => String((await langchain(t, {}).invoke(prompt)).content)),
  },
  {
    client: '@langchain/openai',
    call: 'stream',
    run: (t, prompt) =>
      settle(async () => {
        let text = '';
        for await (const chunk of await langchain(t, { streaming: true }).stream(prompt)) text += chunk.text;
        return text;
      }),
  },
  {
    client: '@langchain/openai useResponsesApi',
    call: 'invoke',
    run: (t, prompt) =>
      settle(async () => (await langchain(t, { useResponsesApi: true }).invoke(prompt)).text),
  },
  {
    client: '@langchain/openai useResponsesApi',
    call: 'stream',
    run: (t, prompt) =>
      settle(async () => {
        let text = '';
        for await (const chunk of await langchain(t, { useResponsesApi: true, streaming: true }).stream(
          prompt,
        ))
          text += chunk.text;
        return text;
      }),
  },
];

export interface MatrixRow {
  client: string;
  call: string;
  failure: FailurePoint;
  modelCalls: number;
  toolRuns: number;
  result: ClientResult;
}

/** One cell against a fresh gateway (so no breaker or idempotency state carries between cells). */
export async function runCell(cell: Cell, failure: FailurePoint): Promise<MatrixRow> {
  const env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, failingScript(failure));
  const daemon = await GatewayDaemon.start(env);
  try {
    const result = await cell.run(
      { url: daemon.url, token: generatedToken(env) },
      'append a line to the file',
    );
    const file = join(env.workspace, SIDE_EFFECTS);
    const toolRuns = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
    return {
      client: cell.client,
      call: cell.call,
      failure,
      modelCalls: env.mock.requests.length,
      toolRuns,
      result,
    };
  } finally {
    // Stopped as a person stops it: what it started ends before the workspace is removed (a
    // SIGKILL left a dying sandboxed command writing into it once, under CI load).
    daemon.kill('SIGTERM');
    const killed = setTimeout(() => daemon.kill('SIGKILL'), 10_000);
    await daemon.exited;
    clearTimeout(killed);
    await env.close();
  }
}
