/**
 * The llama_cpp adapter on a real (tiny, random-weight) GGUF model and the real node-llama-cpp
 * prebuilt binary: load, stream, a grammar-constrained tool call, the model's own choice of
 * tools (auto), cancel, unload. The model's
 * text is noise, so only the path is checked, never what it says.
 */
import { writeTinyGguf } from '@oxydra/testkit';
import { tempWorkspace } from '@oxydra/testkit/helpers';
import { Cancelled, ConfigError, type Context, type ModelEvent, type ToolSpec } from '@oxydra/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalModelSettings } from '../src/adapters/define.js';
import { checkLocalModel } from '../src/adapters/llama-cpp/entry.js';
import { loadedLocalModels, releaseLocalModels } from '../src/adapters/llama-cpp/held.js';
import { requireLlamaCpp } from '../src/adapters/llama-cpp/locate.js';
import { createLlamaCppProvider } from '../src/adapters/llama-cpp/provider.js';

// One thread: the CI machine is shared, and llama.cpp's spinning threads thrash when oversubscribed.
const CPU: LocalModelSettings = { gpuLayers: 0, threads: 1, contextSize: 2048 };

const PICK: ToolSpec = {
  name: 'pick',
  description: 'Pick a colour',
  safety: 'read_only',
  parameters: {
    type: 'object',
    properties: { colour: { type: 'string', enum: ['red', 'blue'] }, bright: { type: 'boolean' } },
    required: ['colour'],
    additionalProperties: false,
  },
};
const NOTHING: ToolSpec = {
  name: 'nothing',
  description: 'Do nothing',
  safety: 'read_only',
  parameters: { type: 'object', properties: {} },
};

/** Whether a call's arguments fit its tool's schema (the two tools above, checked by hand). */
function fitsSchema(name: string, args: Record<string, unknown>): boolean {
  if (name === 'nothing') return true;
  if (name !== 'pick') return false;
  const known = Object.keys(args).every((key) => key === 'colour' || key === 'bright');
  const bright = args.bright === undefined || typeof args.bright === 'boolean';
  return known && bright && (args.colour === 'red' || args.colour === 'blue');
}

async function events(stream: AsyncIterable<ModelEvent>): Promise<ModelEvent[]> {
  const all: ModelEvent[] = [];
  for await (const event of stream) all.push(event);
  return all;
}

describe('llama_cpp adapter (a tiny GGUF model, run in process)', () => {
  const tmp = tempWorkspace({ prefix: 'oxydra-llama-' });
  let model: string;
  const context = (extra: Partial<Context> = {}): Context => ({
    model,
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hello.' },
    ],
    maxOutputTokens: 12,
    ...extra,
  });

  beforeAll(async () => {
    model = `${tmp.dir}/tiny.gguf`;
    await writeTinyGguf(model);
  });
  afterAll(async () => {
    await releaseLocalModels();
    tmp.cleanup();
  });

  it('loads the file and streams text deltas, usage and a finish', async () => {
    const provider = createLlamaCppProvider({ name: 'local', baseURL: '', local: CPU });
    const all = await events(provider.stream(context()));
    const deltas = all.filter((event) => event.type === 'text_delta');
    expect(deltas.length).toBeGreaterThan(1);
    const usage = all.find((event) => event.type === 'usage');
    expect(usage?.type === 'usage' && usage.usage.outputTokens).toBeGreaterThan(0);
    expect(usage?.type === 'usage' && usage.usage.inputTokens).toBeGreaterThan(0);
    expect(all.at(-1)).toMatchObject({ type: 'finish' });
  });

  it('with tool_choice = "required", answers a user with a call the JSON-schema grammar holds to a tool', async () => {
    const provider = createLlamaCppProvider({
      name: 'local',
      baseURL: '',
      local: { ...CPU, toolChoice: 'required' },
    });
    const all = await events(provider.stream(context({ tools: [NOTHING, PICK], maxOutputTokens: 200 })));
    const end = all.find((event) => event.type === 'tool_call_end');
    expect(end).toBeDefined();
    if (end?.type !== 'tool_call_end') return;
    expect(['pick', 'nothing']).toContain(end.name);
    // The grammar writes the required properties only (colour), never the optional bright.
    if (end.name === 'pick') expect(Object.keys(end.arguments)).toEqual(['colour']);
    if (end.name === 'pick') expect(['red', 'blue']).toContain(end.arguments.colour);
    if (end.name === 'nothing') expect(end.arguments).toEqual({});
    expect(JSON.parse(end.rawArguments)).toEqual(end.arguments);
    expect(all.at(-1)).toMatchObject({ type: 'finish', reason: 'tool_calls' });
  });

  it('with tool_choice = "auto" (the default), the model decides; the stream completes and any call fits its schema', async () => {
    const provider = createLlamaCppProvider({ name: 'local', baseURL: '', local: CPU });
    const all = await events(
      provider.stream(context({ tools: [NOTHING, PICK], maxOutputTokens: 60, temperature: 0 })),
    );
    // Random weights may or may not write a call: the path is what is checked, either way.
    const calls = all.filter((event) => event.type === 'tool_call_end');
    for (const call of calls) {
      if (call.type !== 'tool_call_end') continue;
      expect(fitsSchema(call.name, call.arguments), JSON.stringify(call)).toBe(true);
      expect(JSON.parse(call.rawArguments)).toEqual(call.arguments);
    }
    const finish = all.at(-1);
    expect(finish?.type).toBe('finish');
    const reasons = calls.length > 0 ? ['tool_calls'] : ['stop', 'length'];
    expect(reasons).toContain(finish?.type === 'finish' && finish.reason);
    expect(all.some((event) => event.type === 'usage')).toBe(true);
  });

  it('after the tool result, answers freely (the grammar is only for the answer to a person)', async () => {
    const provider = createLlamaCppProvider({
      name: 'local',
      baseURL: '',
      local: { ...CPU, toolChoice: 'required' },
    });
    const messages: Context['messages'] = [
      { role: 'user', content: 'Pick one.' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'call_1', name: 'pick', arguments: { colour: 'red', bright: true } }],
      },
      { role: 'tool', toolCallId: 'call_1', toolName: 'pick', content: 'picked red' },
    ];
    const all = await events(provider.stream(context({ messages, tools: [PICK] })));
    expect(all.some((event) => event.type === 'tool_call_end')).toBe(false);
    expect(all.at(-1)).toMatchObject({ type: 'finish' });
  });

  it('stops mid-stream when the call is aborted, and the next call runs', async () => {
    const provider = createLlamaCppProvider({ name: 'local', baseURL: '', local: CPU });
    const controller = new AbortController();
    let seen = 0;
    const run = async () => {
      for await (const event of provider.stream(context({ maxOutputTokens: 400 }), {
        signal: controller.signal,
      })) {
        if (event.type === 'text_delta' && ++seen === 2) controller.abort();
      }
    };
    await expect(run()).rejects.toBeInstanceOf(Cancelled);
    expect(seen).toBe(2);
    const after = await events(provider.stream(context()));
    expect(after.at(-1)).toMatchObject({ type: 'finish' });
  });

  it('unloads, and loads again on the next call', async () => {
    expect(loadedLocalModels()).toBeGreaterThan(0);
    await releaseLocalModels();
    expect(loadedLocalModels()).toBe(0);
    const provider = createLlamaCppProvider({ name: 'local', baseURL: '', local: CPU });
    const all = await events(provider.stream(context()));
    expect(all.at(-1)).toMatchObject({ type: 'finish' });
    expect(loadedLocalModels()).toBe(1);
  });

  it('says how to install node-llama-cpp when it cannot be found', () => {
    // Looked up from a folder with no node_modules above it that holds the package.
    expect(() => requireLlamaCpp([`${tmp.dir}/package.json`])).toThrow(ConfigError);
    expect(() => requireLlamaCpp([`${tmp.dir}/package.json`])).toThrow(
      /needs the optional package node-llama-cpp, which is not installed: install it .*npm install -g node-llama-cpp/,
    );
  });

  it('refuses a missing file or one that is not GGUF, naming the fix', async () => {
    expect(() => checkLocalModel(`${tmp.dir}/none.gguf`, 'selection.model')).toThrow(
      /local model ".*none\.gguf" not found .*oxydra models pull/,
    );
    tmp.write('fake.gguf', 'not a model');
    expect(() => checkLocalModel(`${tmp.dir}/fake.gguf`, 'selection.model')).toThrow(ConfigError);
    expect(() => checkLocalModel(`${tmp.dir}/fake.gguf`, 'selection.model')).toThrow(/is not a GGUF file/);
  });
});
