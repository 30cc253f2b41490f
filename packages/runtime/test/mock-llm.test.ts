/**
 * The loop over the real wire adapters and the testkit's mock servers: what the model is sent
 * back (tool results, in order) is checked on the recorded requests.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  MOCKED_PROVIDER_TYPES,
  type MockLLM,
  mockApiForProvider,
  type ScenarioStep,
  startMockLLM,
} from '@oxydra/testkit';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import type { ProviderType, ToolExecutor, ToolSpec } from '@oxydra/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADAPTER_FACTORIES, findModel } from '../../provider/src/index.js';
import { startAgentRun } from '../src/index.js';
import { finish, ofType, runOptions, start, waitForEvent } from './helpers.js';

/** A tiny real file_read / file_write over a temporary workspace. */
function workspaceTools(): ToolExecutor {
  const specs: ToolSpec[] = [
    {
      name: 'file_read',
      description: 'Read a file',
      parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
      safety: 'read_only',
    },
    {
      name: 'file_write',
      description: 'Write a file',
      parameters: {
        type: 'object',
        properties: { path: { type: 'string' }, content: { type: 'string' } },
        required: ['path', 'content'],
      },
      safety: 'side_effecting',
    },
  ];
  return {
    specs: () => specs,
    spec: (name) => specs.find((s) => s.name === name),
    async execute(call, context) {
      const path = join(context.workspace, String(call.arguments.path));
      try {
        if (call.name === 'file_write') {
          writeFileSync(path, String(call.arguments.content));
          return { content: `wrote ${String(call.arguments.path)}`, isError: false, durationMs: 0 };
        }
        return { content: readFileSync(path, 'utf8'), isError: false, durationMs: 0 };
      } catch (error) {
        return { content: (error as Error).message, isError: true, durationMs: 0 };
      }
    },
  };
}

describe('agent loop over the real adapters and the mock LLM', () => {
  let mock: MockLLM | undefined;
  let tmp: TempWorkspace;
  let workspace: string;
  beforeEach(() => {
    tmp = tempWorkspace({
      prefix: 'oxydra-runtime-ws-',
      files: { 'a.txt': 'hello from a', 'b.txt': 'hello from b' },
    });
    workspace = tmp.dir;
  });
  afterEach(async () => {
    await mock?.close();
    mock = undefined;
    tmp.cleanup();
  });

  async function serve(type: ProviderType, scenario: ScenarioStep[]) {
    mock = await startMockLLM({ api: mockApiForProvider(type), scenario });
    return ADAPTER_FACTORIES[type]({ name: type, baseURL: mock.url, apiKey: 'sk-test-key' });
  }

  // Every wire API, so a new provider type runs through the loop without editing this list
  // (llama_cpp has no wire: packages/provider/test/llama-cpp.test.ts runs it on a real model).
  for (const type of MOCKED_PROVIDER_TYPES) {
    it(`${type}: reads two files in parallel, sends both results back in order, answers`, async () => {
      const provider = await serve(type, [
        {
          reply: {
            text: 'Reading both.',
            toolCalls: [
              { id: 'call_a', name: 'file_read', arguments: { path: 'a.txt' } },
              { id: 'call_b', name: 'file_read', arguments: { path: 'b.txt' } },
            ],
            argumentChunks: 3,
            usage: { input: 100, output: 20 },
          },
        },
        {
          match: { lastToolResultContains: 'hello from b' },
          reply: { text: 'a says hello, b says hello.', usage: { input: 150, output: 10 } },
        },
      ]);
      const model = findModel('openai', 'gpt-4o-mini')!;
      const { result, events } = await start(
        runOptions(provider, {
          model,
          tools: workspaceTools(),
          workspace,
          prompt: 'what do a and b say?',
        }),
      );

      expect(result).toMatchObject({
        status: 'completed',
        text: 'Reading both.\n\na says hello, b says hello.',
        turns: 2,
      });
      expect(result.usage).toMatchObject({ inputTokens: 250, outputTokens: 30 });
      // Priced from the catalog by the runtime: the bare adapter reports tokens only.
      expect(result.costUsd).toBeCloseTo((250 * 0.15 + 30 * 0.6) / 1e6, 12);
      expect(
        ofType(events, 'tool_execution_end')
          .map((e) => e.content)
          .sort(),
      ).toEqual(['hello from a', 'hello from b']);
      const toolMessages = result.messages.filter((m) => m.role === 'tool');
      expect(toolMessages.map((m) => m.content)).toEqual(['hello from a', 'hello from b']);
      expect(mock?.requests).toHaveLength(2);
      const secondBody = JSON.stringify(mock?.requests[1]?.body);
      expect(secondBody.indexOf('hello from a')).toBeGreaterThan(-1);
      expect(secondBody.indexOf('hello from a')).toBeLessThan(secondBody.indexOf('hello from b'));
    });
  }

  it('writes a file through a side-effecting tool and checks it', async () => {
    const provider = await serve('openai', [
      { reply: { toolCalls: [{ name: 'file_write', arguments: { path: 'out.txt', content: 'done!' } }] } },
      {
        match: { lastToolResultContains: 'wrote out.txt' },
        reply: { toolCalls: [{ name: 'file_read', arguments: { path: 'out.txt' } }] },
      },
      { match: { lastToolResultContains: 'done!' }, reply: { text: 'Wrote and verified out.txt.' } },
    ]);
    const { result } = await start(runOptions(provider, { tools: workspaceTools(), workspace }));
    expect(result).toMatchObject({ status: 'completed', turns: 3 });
    expect(readFileSync(join(workspace, 'out.txt'), 'utf8')).toBe('done!');
  });

  it('ends with run_failed provider_error / auth on a 401', async () => {
    const provider = await serve('anthropic', [{ fault: { status: 401 } }]);
    const { result } = await start(runOptions(provider));
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'provider_error', kind: 'auth' });
  });

  it('cancels a slow stream mid-answer', async () => {
    const provider = await serve('openai', [
      { reply: { text: 'one two three four five six seven eight' }, fault: { slowChunksMs: 200 } },
    ]);
    const run = startAgentRun(runOptions(provider));
    await waitForEvent(run, (e) => e.type === 'text_delta');
    run.cancel('stop');
    const { result } = await finish(run);
    expect(result).toMatchObject({ status: 'cancelled', error: { code: 'cancelled', message: 'stop' } });
    expect(result.text).not.toBe('one two three four five six seven eight');
  });
});
