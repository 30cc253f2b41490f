/**
 * A kernel running a local model (llama_cpp, a tiny random-weight GGUF in this process) frees
 * it when it closes: the model's memory, threads and GPU buffers do not outlive the kernel that
 * ran it (hosts end by closing their kernel: oxydra run, the gateway, the TUI).
 */

import { loadedLocalModels } from '@oxydra/provider';
import { writeTinyGguf } from '@oxydra/testkit';
import { tempWorkspace } from '@oxydra/testkit/helpers';
import { afterAll, afterEach, expect, it } from 'vitest';
import { closeAll, testKernel } from './helpers.js';

const tmp = tempWorkspace({ prefix: 'oxydra-kernel-gguf-' });
afterEach(closeAll);
afterAll(() => tmp.cleanup());

it('a closed kernel unloads the local models its agents ran', { timeout: 120_000 }, async () => {
  const model = `${tmp.dir}/tiny.gguf`;
  await writeTinyGguf(model);
  const { kernel } = await testKernel([], {
    selection: { provider: 'local', model },
    providers: {
      registry: {
        // One CPU thread (a shared machine) and a bounded answer: the text is noise.
        local: {
          provider_type: 'llama_cpp',
          gpu_layers: 0,
          threads: 1,
          context_size: 2048,
          max_output_tokens: 8,
        },
      },
    },
  });
  const result = await kernel.agents.spawn({ prompt: 'Say hello.', tools: ['file_list'] }).result;
  expect(result.status, JSON.stringify(result)).toBe('completed');
  expect(loadedLocalModels()).toBe(1);
  await kernel.close();
  expect(loadedLocalModels()).toBe(0);
});
