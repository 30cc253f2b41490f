/**
 * Tools offered on request (Tool.onRequest): registered, but sent to the model only when a tool
 * list names them. With memory on and no list, memory_save is offered and memory_search,
 * memory_update, memory_delete and the scratchpad tools are not (and a call to one is refused);
 * `tools` on a spawn or in [agents.<name>] brings them in, and they then work.
 */

import type { ScenarioStep } from '@oxydra/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testKernel, text } from './helpers.js';

afterEach(closeAll);

const ON_REQUEST = [
  ...['search', 'update', 'delete'].map((verb) => `memory_${verb}`),
  ...['read', 'write', 'clear'].map((verb) => `scratchpad_${verb}`),
];

const tool = (name: string, args: Record<string, unknown>): ScenarioStep => ({
  reply: { toolCalls: [{ name, arguments: args }] },
});

type Body = { tools?: { function: { name: string } }[]; messages: { role: string; content: unknown }[] };
const offered = (body: unknown) => ((body as Body).tools ?? []).map((t) => t.function.name);

describe('tools offered on request', () => {
  it('without a tool list: memory_save and the core tools, none of the on-request ones', async () => {
    const { kernel, mock } = await testKernel([text('ok')]);
    await kernel.agents.spawn({ prompt: 'hi' }).result;
    const names = offered(mock.requests[0]!.body);
    expect(names).toContain('memory_save');
    expect(names).toContain('file_read');
    for (const name of ON_REQUEST) expect(names).not.toContain(name);
  });

  it('refuses a call to an on-request tool that was not offered', async () => {
    const { kernel, mock } = await testKernel([tool('scratchpad_write', { items: ['plan'] }), text('done')]);
    await kernel.agents.spawn({ prompt: 'plan it' }).result;
    const second = JSON.stringify((mock.requests[1]!.body as Body).messages);
    expect(second).toContain('Unknown tool \\"scratchpad_write\\"');
    expect(second).not.toMatch(/Scratchpad saved/);
  });

  it('a spawn that names them gets them, and they run', async () => {
    const { kernel, mock } = await testKernel([
      tool('scratchpad_write', { items: ['read the spec', 'write the code'] }),
      tool('scratchpad_read', {}),
      text('done'),
    ]);
    await kernel.agents.spawn({
      prompt: 'plan it',
      tools: ['scratchpad_write', 'scratchpad_read', 'file_read'],
    }).result;
    expect(offered(mock.requests[0]!.body).sort()).toEqual([
      'file_read',
      'scratchpad_read',
      'scratchpad_write',
    ]);
    const last = JSON.stringify((mock.requests[2]!.body as Body).messages);
    expect(last).toContain('Scratchpad saved (2 items)');
    expect(last).toContain('1. read the spec');
  });

  it("an agent's [agents.<name>] tools list brings them in too", async () => {
    const { kernel, mock } = await testKernel([text('ok')], {
      agents: { keeper: { tools: ['memory_save', 'memory_search', 'memory_update', 'memory_delete'] } },
    });
    await kernel.agents.spawn({ prompt: 'hi', agent: 'keeper' }).result;
    expect(offered(mock.requests[0]!.body).sort()).toEqual([
      'memory_delete',
      'memory_save',
      'memory_search',
      'memory_update',
    ]);
  });
});
