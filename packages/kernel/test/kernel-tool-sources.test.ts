/**
 * Tool sources (what MCP servers and plugins plug into): started with the kernel, their tools
 * offered beside the core ones and run through the same registry; a changed list reaches the
 * next assembly; a name that clashes is skipped with a warning; a source that fails to start
 * is a health line, not a failed kernel; sources are closed with the kernel.
 */
import type { Tool, ToolSource } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testKernel } from './helpers.js';

afterEach(closeAll);

const tool = (name: string, reply = name): Tool => ({
  name,
  description: `returns ${reply}`,
  parameters: { type: 'object', properties: {} },
  safety: 'read_only',
  execute: async () => reply,
});

class ListSource implements ToolSource {
  listeners: (() => void)[] = [];
  closed = false;
  constructor(
    readonly name: string,
    public list: Tool[],
    readonly failStart?: string,
  ) {}
  tools() {
    return this.list;
  }
  onChange(listener: () => void) {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }
  async start() {
    if (this.failStart) throw new Error(this.failStart);
  }
  async close() {
    this.closed = true;
  }
  change(list: Tool[]) {
    this.list = list;
    for (const listener of this.listeners) listener();
  }
}

describe('tool sources', () => {
  it("offers a source's tools, runs them through the registry, and sees a changed list at the next assembly", async () => {
    const source = new ListSource('test:one', [tool('alpha_tool')]);
    const warnings: string[] = [];
    const { kernel, mock } = await testKernel(
      [
        { reply: { toolCalls: [{ name: 'beta_tool', arguments: {} }] } },
        { reply: { text: 'done' }, times: 'always' },
      ],
      {},
      { toolSources: [source], warn: (m) => warnings.push(m) },
    );
    expect(kernel.describe().tools).toContain('alpha_tool');
    source.change([tool('alpha_tool'), tool('beta_tool', 'beta says hi'), tool('file_read')]);
    const described = kernel.describe().tools;
    expect(described).toContain('beta_tool');
    // file_read is a core tool: the source's is skipped, with one warning.
    expect(described.filter((name) => name === 'file_read')).toHaveLength(1);
    expect(warnings.some((w) => w.includes('test:one: tool "file_read" clashes'))).toBe(true);
    const result = await kernel.agents.spawn({ prompt: 'use beta' }).result;
    expect(result.status).toBe('completed');
    expect(mock.requests.at(-1)!.raw).toContain('beta says hi');
    await kernel.close();
    expect(source.closed).toBe(true);
  });

  it('reports a source that failed to start in its health, and the kernel still runs', async () => {
    const broken = new ListSource('test:broken', [], 'connection refused');
    const fine = new ListSource('test:fine', [tool('gamma_tool')]);
    const warnings: string[] = [];
    const { kernel } = await testKernel(
      [{ reply: { text: 'ok' } }],
      {},
      {
        toolSources: [broken, fine],
        warn: (m) => warnings.push(m),
      },
    );
    expect(kernel.toolSourceHealth()).toEqual([
      { name: 'test:broken', ok: false, detail: 'did not start: connection refused' },
      { name: 'test:fine', ok: true, detail: '1 tool(s)' },
    ]);
    expect(warnings).toContain('test:broken did not start: connection refused');
    expect((await kernel.agents.spawn({ prompt: 'hi' }).result).status).toBe('completed');
  });
});
