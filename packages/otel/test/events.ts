/**
 * Kernel event envelopes for the otel tests, in the order the kernel publishes them: a root
 * agent that calls the model, delegates to "alpha" (whose run calls the model and file_read),
 * calls the model again and answers.
 */
import type { StreamEvent } from '@oxydra/types';
import type { TelemetryEnvelope, TelemetryLifecycleEvent } from '../src/index.js';

export const PROMPT = 'PROMPT-summarise the quarterly numbers';
export const CHILD_TASK = 'CHILD-TASK count the files';
export const ANSWER = 'ANSWER-the numbers are fine';
export const TOOL_OUTPUT = 'TOOL-OUTPUT 41 files';
export const SECRET = 'sk-otel-test-secret-0123456789';

export class EventScript {
  readonly envelopes: TelemetryEnvelope[] = [];
  #seq = 0;

  emit(
    agentId: string,
    event: StreamEvent | TelemetryLifecycleEvent,
    extra: { parentAgentId?: string; sessionId?: string } = {},
  ): this {
    this.envelopes.push({ seq: ++this.#seq, agentId, ...extra, event });
    return this;
  }

  /** One model call: turn_start, text, usage (priced), finish. */
  modelCall(
    agentId: string,
    turn: number,
    reply: { text?: string; input: number; output: number; cost?: number; finish?: 'stop' | 'tool_calls' },
    extra: { sessionId?: string } = {},
  ): this {
    this.emit(agentId, { type: 'turn_start', turn, maxTurns: 8 }, extra);
    if (reply.text) this.emit(agentId, { type: 'text_delta', text: reply.text }, extra);
    this.emit(
      agentId,
      {
        type: 'usage',
        usage: {
          inputTokens: reply.input,
          outputTokens: reply.output,
          ...(reply.cost !== undefined ? { costUsd: reply.cost } : {}),
        },
      },
      extra,
    );
    return this.emit(agentId, { type: 'finish', reason: reply.finish ?? 'stop' }, extra);
  }
}

/** The delegation scenario; `secret` is put in the prompt and a tool's output. */
export function delegationScript(): EventScript {
  const s = new EventScript();
  const root = { sessionId: 'sess-root' };
  const child = { parentAgentId: 'ag-root', sessionId: 'sess-child' };
  s.emit('ag-root', {
    type: 'agent_spawned',
    agentId: 'ag-root',
    name: 'default',
    task: `${PROMPT} with key ${SECRET}`,
  });
  s.modelCall('ag-root', 1, { input: 100, output: 10, cost: 0.001, finish: 'tool_calls' }, root);
  s.emit(
    'ag-root',
    {
      type: 'tool_execution_start',
      id: 'call-1',
      name: 'delegate_to_agent',
      arguments: { agent: 'alpha', task: CHILD_TASK },
    },
    root,
  );
  s.emit(
    'ag-child',
    { type: 'agent_spawned', agentId: 'ag-child', parentAgentId: 'ag-root', name: 'alpha', task: CHILD_TASK },
    { parentAgentId: 'ag-root' },
  );
  s.modelCall('ag-child', 1, { input: 40, output: 4, cost: 0.0004, finish: 'tool_calls' }, child);
  s.emit('ag-child', { type: 'tool_execution_start', id: 'call-2', name: 'file_read', arguments: {} }, child);
  s.emit(
    'ag-child',
    {
      type: 'tool_execution_end',
      id: 'call-2',
      name: 'file_read',
      isError: false,
      content: `${TOOL_OUTPUT} ${SECRET}`,
      durationMs: 12,
    },
    child,
  );
  s.modelCall('ag-child', 2, { text: 'alpha found 41 files', input: 60, output: 6, cost: 0.0006 }, child);
  s.emit(
    'ag-child',
    {
      type: 'run_completed',
      text: 'alpha found 41 files',
      usage: { inputTokens: 100, outputTokens: 10 },
      costUsd: 0.001,
      turns: 2,
    },
    child,
  );
  s.emit('ag-child', { type: 'agent_exited', agentId: 'ag-child', status: 'completed' }, child);
  s.emit(
    'ag-root',
    {
      type: 'tool_execution_end',
      id: 'call-1',
      name: 'delegate_to_agent',
      isError: false,
      content: 'alpha found 41 files',
      durationMs: 30,
    },
    root,
  );
  s.modelCall('ag-root', 2, { text: ANSWER, input: 150, output: 15, cost: 0.0015 }, root);
  s.emit(
    'ag-root',
    {
      type: 'run_completed',
      text: ANSWER,
      usage: { inputTokens: 250, outputTokens: 25 },
      costUsd: 0.0025,
      turns: 2,
    },
    root,
  );
  return s.emit('ag-root', { type: 'agent_exited', agentId: 'ag-root', status: 'completed' }, root);
}

export const MODELS = {
  'ag-root': { provider: 'openai', providerType: 'openai', model: 'gpt-4o' },
  'ag-child': { provider: 'claude', providerType: 'anthropic', model: 'claude-sonnet-4-5' },
} as const;
