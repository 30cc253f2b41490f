/**
 * tool_execution_end carries the tool result's `data` to hosts, bounded as the text output is:
 * a JSON copy of at most TOOL_DATA_MAX_BYTES; a larger or non-JSON value is left out and
 * `dataOmittedBytes` says so. The model never sees `data` (only `content`).
 */
import type { ToolExecutor } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { boundToolData, TOOL_DATA_MAX_BYTES } from '../src/dispatch.js';
import { ofType, runOptions, scriptedProvider, start } from './helpers.js';

/** A tool executor whose one tool answers `content` with `data`. */
function withData(data: unknown): ToolExecutor {
  const spec = {
    name: 'probe',
    description: 'the probe tool',
    parameters: { type: 'object', properties: {} },
    safety: 'read_only' as const,
  };
  return {
    specs: () => [spec],
    spec: () => spec,
    execute: async () => ({ content: 'probed', isError: false, durationMs: 1, data }),
  };
}

async function endOf(data: unknown) {
  const provider = scriptedProvider([{ toolCalls: [{ name: 'probe' }] }, { text: 'done' }]);
  const { events } = await start(runOptions(provider, { tools: withData(data) }));
  const [end] = ofType(events, 'tool_execution_end');
  return { end, provider };
}

describe('tool_execution_end data', () => {
  it("keeps a tool's structured data, and the model still sees only the content", async () => {
    const { end, provider } = await endOf({ path: 'a.txt', bytes: 3, created: true });
    expect(end).toMatchObject({ content: 'probed', data: { path: 'a.txt', bytes: 3, created: true } });
    expect(end).not.toHaveProperty('dataOmittedBytes');
    expect(JSON.stringify(provider.contexts[1]?.messages)).not.toContain('a.txt');
  });

  it('leaves out data over the bound and says how large it was', async () => {
    const big = { blob: 'x'.repeat(TOOL_DATA_MAX_BYTES) };
    const { end } = await endOf(big);
    expect(end).not.toHaveProperty('data');
    expect(end?.dataOmittedBytes).toBe(JSON.stringify(big).length);
  });

  it('a result without data has neither field', async () => {
    const { end } = await endOf(undefined);
    expect(end).not.toHaveProperty('data');
    expect(end).not.toHaveProperty('dataOmittedBytes');
  });

  it('copies through JSON: no class instance, Buffer or function goes out; non-JSON is left out', () => {
    const copied = boundToolData({ at: new Date(0), n: 1, fn: () => 1 });
    expect(copied).toEqual({ data: { at: '1970-01-01T00:00:00.000Z', n: 1 } });
    expect(boundToolData({ big: 1n })).toEqual({ dataOmittedBytes: -1 });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(boundToolData(cycle)).toEqual({ dataOmittedBytes: -1 });
    expect(boundToolData(() => 1)).toEqual({ dataOmittedBytes: -1 });
    const limit = { s: 'y'.repeat(TOOL_DATA_MAX_BYTES - 8) };
    expect(JSON.stringify(limit).length).toBe(TOOL_DATA_MAX_BYTES);
    expect(boundToolData(limit)).toEqual({ data: limit });
  });
});
