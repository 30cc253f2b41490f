/**
 * A scheduled run's agent is the kernel's: its settings resolved once, in the workspace, by the
 * assembly that runs it. The scheduler once resolved the agent again for its limits with the
 * process's current directory as the base, so in a gateway started elsewhere (`--workspace`) an
 * agent with a relative system_prompt_file failed every scheduled run ("cannot read").
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testKernel } from './helpers.js';

afterEach(closeAll);

describe("a scheduled run's agent", () => {
  it('reads its relative prompt file in the workspace, not the current directory', async () => {
    const { kernel, mock } = await testKernel([{ reply: { text: 'written' }, times: 'always' }], {
      scheduler: { enabled: true },
      agents: { writer: { system_prompt_file: 'prompts/writer.md' } },
    });
    expect(process.cwd()).not.toBe(kernel.workspace);
    mkdirSync(join(kernel.workspace, 'prompts'));
    writeFileSync(join(kernel.workspace, 'prompts/writer.md'), 'You write haiku only.');
    const scheduler = await kernel.service('scheduler');
    await scheduler.schedule(
      { name: 'poem', prompt: 'write one', every: '1d', agent: 'writer' },
      { actor: 'test' },
    );
    const { done } = await scheduler.runNow('poem', { actor: 'test' });
    expect(await done).toMatchObject({ status: 'completed', output: 'written' });
    expect(JSON.stringify(mock.requests.at(-1)!.body)).toContain('You write haiku only.');
  });

  it("keeps the agent's own lower limits under the operator's", async () => {
    const { kernel } = await testKernel(
      [{ reply: { toolCalls: [{ name: 'file_list', arguments: { path: '.' } }] }, times: 'always' }],
      { scheduler: { enabled: true, max_turns: 5 }, agents: { brief: { max_turns: 2 } } },
    );
    const scheduler = await kernel.service('scheduler');
    await scheduler.schedule(
      { name: 'loop', prompt: 'list files', every: '1d', agent: 'brief' },
      { actor: 'test' },
    );
    const { done } = await scheduler.runNow('loop', { actor: 'test' });
    expect(await done).toMatchObject({ status: 'failed', turns: 2 });
  });
});
