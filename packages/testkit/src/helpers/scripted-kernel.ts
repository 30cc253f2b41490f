/**
 * What `openKernel` takes to run on an in-process scripted provider (`scriptedAdapters`): the
 * smallest configuration that names a provider, memory off and no sandbox, so a test of what
 * sits on a kernel (the channel host, a program embedding Oxydra) runs its real loop and tools
 * without a server, a container or a database of memories.
 */
import type { Provider } from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { scriptedAdapters } from '../in-process.js';

export function scriptedKernelOptions(provider: Provider) {
  return {
    config: agentConfigSchema.parse({
      selection: { provider: 'openai', model: 'gpt-4o-mini' },
      providers: { registry: { openai: { provider_type: 'openai' } } },
      memory: { enabled: false },
      tools: { sandbox: { mode: 'none' } },
    }),
    host: 'test' as const,
    env: { OPENAI_API_KEY: 'sk-inprocess-0123456789' },
    adapters: scriptedAdapters(provider),
    warn: () => {},
  };
}
