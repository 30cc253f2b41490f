import { describe, expect, it } from 'vitest';
import { type JsonSchema, type ToolSpec, toolSpecOf } from '../src/index.js';

/** A tool whose parameters count their reads, as a defined tool converts its schema at each first read. */
function countingTool(): { tool: ToolSpec; reads: () => number } {
  let reads = 0;
  const tool: ToolSpec = {
    name: 'file_read',
    description: 'Read a file',
    safety: 'read_only',
    timeoutMs: 5_000,
    get parameters(): JsonSchema {
      reads++;
      return { type: 'object', properties: { path: { type: 'string' } } };
    },
  };
  return { tool, reads: () => reads };
}

describe("a tool's public spec", () => {
  it("reads the tool's parameters only when its own are read, and once", () => {
    const { tool, reads } = countingTool();
    const spec = toolSpecOf(tool);
    expect(spec.name).toBe('file_read');
    expect(reads()).toBe(0);
    expect(spec.parameters).toBe(spec.parameters);
    expect(reads()).toBe(1);
  });

  it('serialises and spreads as the tool it was taken from', () => {
    const { tool } = countingTool();
    const expected = {
      name: 'file_read',
      description: 'Read a file',
      parameters: { type: 'object', properties: { path: { type: 'string' } } },
      safety: 'read_only',
      timeoutMs: 5_000,
    };
    expect(JSON.parse(JSON.stringify(toolSpecOf(tool)))).toEqual(expected);
    expect({ ...toolSpecOf(tool) }).toEqual(expected);
  });
});
