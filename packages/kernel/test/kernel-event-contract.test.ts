/**
 * What the kernel publishes is event contract v1: every envelope's event of a run with a tool
 * call (spawned, turn, model deltas, tool execution, outcome with session and audit head,
 * exited) parses against the schemas of @oxydra/types/events, strict objects and all.
 */
import { lifecycleEventSchema, streamEventSchema } from '@oxydra/types/events';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, collect, testKernel, text } from './helpers.js';

afterEach(closeAll);

describe('kernel events against contract v1', () => {
  it('every event of a run with a tool call validates', async () => {
    const { kernel } = await testKernel([
      { reply: { toolCalls: [{ name: 'file_list', arguments: { path: '.' } }] } },
      text('listed'),
    ]);
    const events = await collect(kernel.agents.spawn({ prompt: 'list the files' }).events);
    const problems = events.flatMap(({ event }) => {
      const schema =
        event.type.startsWith('agent_') || event.type.startsWith('approval_')
          ? lifecycleEventSchema
          : streamEventSchema;
      const parsed = schema.safeParse(event);
      return parsed.success ? [] : [`${event.type}: ${parsed.error.message}`];
    });
    expect(problems).toEqual([]);
    const types = new Set(events.map((e) => e.event.type));
    for (const type of [
      'agent_spawned',
      'turn_start',
      'tool_execution_start',
      'tool_execution_end',
      'run_completed',
    ]) {
      expect(types).toContain(type);
    }
    const end = events.find((e) => e.event.type === 'run_completed')?.event;
    expect(end).toMatchObject({ sessionId: expect.any(String), auditHead: { seq: expect.any(Number) } });
  });
});
