import { ProviderError } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import type { StateTransition } from '../src/index.js';
import { fakeTools, ofType, runOptions, scriptedProvider, start, testModel } from './helpers.js';

describe('agent loop: answers and tool calls', () => {
  it('returns a plain answer in one model call', async () => {
    const provider = scriptedProvider([{ text: 'Hi there.', usage: { inputTokens: 12, outputTokens: 3 } }]);
    const { events, result } = await start(runOptions(provider));

    expect(result).toMatchObject({ status: 'completed', text: 'Hi there.', turns: 1 });
    expect(result.usage).toEqual({ inputTokens: 12, outputTokens: 3 });
    expect(result.messages).toEqual([
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'Hi there.' },
    ]);
    expect(provider.contexts[0]?.messages).toEqual([
      { role: 'system', content: 'You are a test agent.' },
      { role: 'user', content: 'hello' },
    ]);
    expect(events.slice(0, 2)).toEqual([
      { type: 'turn_start', turn: 1, maxTurns: 8 },
      {
        type: 'progress',
        progress: { kind: 'provider_call', message: '[1/8] Calling test-model', turn: 1, maxTurns: 8 },
      },
    ]);
    // The provider's events are forwarded as they came (the scripted provider splits before each space).
    expect(ofType(events, 'text_delta').map((e) => e.text)).toEqual(['Hi', ' there.']);
  });

  it('runs a tool call, sends the result back, and returns the answer', async () => {
    const tools = fakeTools({ file_read: { run: (args) => `contents of ${String(args.path)}` } });
    const provider = scriptedProvider([
      { text: 'Let me look.', toolCalls: [{ id: 'c1', name: 'file_read', arguments: { path: 'a.txt' } }] },
      { text: 'The file says hello.' },
    ]);
    const { events, result } = await start(runOptions(provider, { tools, prompt: 'what is in a.txt?' }));

    // The answer is every call's text, a paragraph apart, as it was streamed.
    expect(result).toMatchObject({
      status: 'completed',
      text: 'Let me look.\n\nThe file says hello.',
      turns: 2,
    });
    const streamed = events.flatMap((e) => (e.type === 'text_delta' ? [e.text] : [])).join('');
    expect(streamed).toBe(result.text);
    expect(result.usage).toEqual({ inputTokens: 20, outputTokens: 10 });
    expect(provider.contexts[0]?.tools?.map((t) => t.name)).toEqual(['file_read']);
    expect(provider.contexts[1]?.messages.slice(1)).toEqual([
      { role: 'user', content: 'what is in a.txt?' },
      {
        role: 'assistant',
        content: 'Let me look.',
        toolCalls: [
          { id: 'c1', name: 'file_read', arguments: { path: 'a.txt' }, rawArguments: '{"path":"a.txt"}' },
        ],
      },
      { role: 'tool', toolCallId: 'c1', toolName: 'file_read', content: 'contents of a.txt' },
    ]);
    expect(ofType(events, 'tool_execution_start')).toEqual([
      { type: 'tool_execution_start', id: 'c1', name: 'file_read', arguments: { path: 'a.txt' } },
    ]);
    expect(ofType(events, 'tool_execution_end')).toEqual([
      {
        type: 'tool_execution_end',
        id: 'c1',
        name: 'file_read',
        isError: false,
        content: 'contents of a.txt',
        durationMs: 1,
      },
    ]);
    const progress = ofType(events, 'progress').map((e) => e.progress.message);
    expect(progress).toEqual([
      '[1/8] Calling test-model',
      '[1/8] Executing tools: file_read',
      '[2/8] Calling test-model',
    ]);
    expect(ofType(events, 'turn_start').map((e) => e.turn)).toEqual([1, 2]);
  });

  it('returns tool results in call order, whatever order they finish in', async () => {
    let releaseFirst: () => void = () => {};
    const firstWaits = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const tools = fakeTools({
      slow: {
        run: async () => {
          await firstWaits;
          return 'slow result';
        },
      },
      fast: {
        run: () => {
          releaseFirst();
          return 'fast result';
        },
      },
    });
    const provider = scriptedProvider([
      {
        toolCalls: [
          { id: 'a', name: 'slow' },
          { id: 'b', name: 'fast' },
        ],
      },
      { text: 'done' },
    ]);
    const { events, result } = await start(runOptions(provider, { tools }));

    // The fast call finished first...
    expect(ofType(events, 'tool_execution_end').map((e) => e.id)).toEqual(['b', 'a']);
    // ...but the model sees the results in the order it asked for them.
    const toolMessages = result.messages.filter((m) => m.role === 'tool');
    expect(toolMessages.map((m) => [m.toolCallId, m.content])).toEqual([
      ['a', 'slow result'],
      ['b', 'fast result'],
    ]);
  });

  it('hands tool failures back to the model with isError and lets it recover', async () => {
    const tools = fakeTools({
      file_read: {
        run: () => {
          throw new Error('ENOENT: no such file');
        },
      },
    });
    const provider = scriptedProvider([
      { toolCalls: [{ id: 'c1', name: 'file_read', arguments: { path: 'missing.txt' } }] },
      { text: 'The file does not exist.' },
    ]);
    const { result } = await start(runOptions(provider, { tools }));

    expect(result.status).toBe('completed');
    expect(provider.contexts[1]?.messages.at(-1)).toEqual({
      role: 'tool',
      toolCallId: 'c1',
      toolName: 'file_read',
      content: 'ENOENT: no such file',
      isError: true,
    });
  });

  it('turns an executor that throws into an error result instead of a crash', async () => {
    const tools = fakeTools({ a: { run: () => 'x' } });
    tools.execute = async () => {
      throw new TypeError('registry exploded');
    };
    const provider = scriptedProvider([{ toolCalls: [{ id: 'c1', name: 'a' }] }, { text: 'ok' }]);
    const { result } = await start(runOptions(provider, { tools }));

    expect(result.status).toBe('completed');
    expect(provider.contexts[1]?.messages.at(-1)).toMatchObject({
      role: 'tool',
      content: 'tool a failed: registry exploded',
      isError: true,
    });
  });

  it('passes the workspace, ids, provider and model to tools in their context', async () => {
    const seen: unknown[] = [];
    const tools = fakeTools({
      probe: {
        run: (_args, context) => {
          seen.push({ ...context, signal: context.signal instanceof AbortSignal });
          return 'ok';
        },
      },
    });
    const provider = scriptedProvider([{ toolCalls: [{ name: 'probe' }] }, { text: 'done' }], 'my-provider');
    await start(runOptions(provider, { tools, sessionId: 's1', userId: 'u1', workspace: '/ws' }));

    expect(seen).toEqual([
      {
        workspace: '/ws',
        sessionId: 's1',
        userId: 'u1',
        provider: 'my-provider',
        model: 'test-model',
        signal: true,
        onProgress: expect.any(Function),
      },
    ]);
  });

  it('continues earlier history and returns it with what the run added', async () => {
    const provider = scriptedProvider([{ text: 'Yes, 4.' }]);
    const history = [
      { role: 'user' as const, content: 'what is 2+2?' },
      { role: 'assistant' as const, content: '4' },
    ];
    const { result } = await start(runOptions(provider, { history, prompt: 'sure?' }));

    expect(provider.contexts[0]?.messages.map((m) => m.content)).toEqual([
      'You are a test agent.',
      'what is 2+2?',
      '4',
      'sure?',
    ]);
    expect(result.messages).toHaveLength(4);
    expect(history).toHaveLength(2);
  });

  it("accepts Node's own timer functions as its clock", async () => {
    const provider = scriptedProvider([{ text: 'ok' }]);
    const clock = { now: () => Date.now(), setTimeout, clearTimeout };
    const { result } = await start(runOptions(provider, { clock, budgets: { maxWallMs: 60_000 } }));
    expect(result.status).toBe('completed');
  });

  it('offers no tools to a model that cannot call them', async () => {
    const tools = fakeTools({ file_read: { run: () => 'x' } });
    const provider = scriptedProvider([{ text: 'ok' }]);
    await start(runOptions(provider, { tools, model: testModel({ supportsTools: false }) }));
    expect(provider.contexts[0]?.tools).toBeUndefined();
  });

  it('logs its transitions through the state machine', async () => {
    const transitions: StateTransition[] = [];
    const tools = fakeTools({ a: { run: () => 'x' } });
    const provider = scriptedProvider([{ toolCalls: [{ name: 'a' }] }, { text: 'done' }]);
    await start(runOptions(provider, { tools, onStateChange: (t) => transitions.push(t) }));

    expect(transitions.map((t) => `${t.from}>${t.to}`)).toEqual([
      'idle>streaming',
      'streaming>tool_execution',
      'tool_execution>streaming',
      'streaming>yielding',
    ]);
  });
});

describe('agent loop: provider errors', () => {
  it('ends with run_failed provider_error and the ProviderError kind, without throwing', async () => {
    const provider = scriptedProvider([
      () =>
        (async function* () {
          yield { type: 'text_delta' as const, text: 'partial ' };
          throw new ProviderError('openai rejected the API key from $OPENAI_API_KEY (401)', {
            kind: 'auth',
            provider: 'openai',
          });
        })(),
    ]);
    const transitions: StateTransition[] = [];
    const { result } = await start(runOptions(provider, { onStateChange: (t) => transitions.push(t) }));

    expect(result).toMatchObject({
      status: 'failed',
      text: 'partial ',
      turns: 1,
      error: {
        code: 'provider_error',
        kind: 'auth',
        message: 'openai rejected the API key from $OPENAI_API_KEY (401)',
      },
    });
    expect(transitions.at(-1)?.to).toBe('failed');
    // The interrupted answer is not kept: the conversation stays valid to continue.
    expect(result.messages).toEqual([{ role: 'user', content: 'hello' }]);
  });

  it('fails on an error event inside the stream', async () => {
    const provider = scriptedProvider([
      () =>
        (async function* () {
          yield {
            type: 'error' as const,
            code: 'provider_error',
            message: 'stream broke',
            kind: 'transport',
          };
        })(),
    ]);
    const { result } = await start(runOptions(provider));
    expect(result.error).toEqual({ code: 'provider_error', message: 'stream broke', kind: 'transport' });
  });

  it('fails with internal_error, not a throw, when the provider itself throws a plain error', async () => {
    const provider = scriptedProvider([]);
    const { result } = await start(runOptions(provider));
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('internal_error');
    expect(result.error?.message).toContain('the script has no step for call 1');
  });
});
