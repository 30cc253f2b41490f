/**
 * A kernel on the testkit's in-process provider (scriptedAdapters): no server, the same loop and
 * tools, as a program embedding Oxydra would test its own agents.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scriptedProvider } from '@oxydra/testkit';
import { scriptedKernelOptions, tempWorkspace } from '@oxydra/testkit/helpers';
import { describe, expect, it } from 'vitest';
import { openKernel } from '../src/index.js';

describe('a kernel on the testkit in-process provider', () => {
  it('runs agents through scriptedAdapters: no server, the same loop, tools included', async () => {
    const scratch = tempWorkspace({ prefix: 'oxydra-kernel-inproc-' });
    const workspace = scratch.dir;
    writeFileSync(join(workspace, 'notes.txt'), 'the answer is 42\n');
    const model = scriptedProvider([
      {
        toolCalls: [{ name: 'file_read', arguments: { path: 'notes.txt' } }],
        usage: { inputTokens: 50, outputTokens: 5 },
      },
      { text: 'It says 42.', usage: { inputTokens: 80, outputTokens: 4 } },
    ]);
    const kernel = await openKernel({ workspace, ...scriptedKernelOptions(model) });
    try {
      const result = await kernel.agents.spawn({ prompt: 'what does notes.txt say?' }).result;
      expect(result).toMatchObject({ status: 'completed', text: 'It says 42.', turns: 2 });
      const toolResult = model.calls[1]!.context.messages.find((m) => m.role === 'tool');
      expect(toolResult?.role === 'tool' && toolResult.content).toContain('the answer is 42');
    } finally {
      await kernel.close();
      scratch.cleanup();
    }
  });
});
