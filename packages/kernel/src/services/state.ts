/**
 * state.save / load / delete / list: durable named JSON values in the workspace's database
 * (Oxios's state system call), for hosts, programs and schedulers that need to remember
 * something between runs. Each write is atomic and versioned (compare-and-set with
 * expectedVersion). The values live beside the sessions, so memory must be on.
 */
import type { KernelStateStore } from '@oxydra/memory';
import { UsageError } from '@oxydra/types';
import type { WorkspaceMemory } from '../assemble/memory.js';

export type StateCalls = Pick<KernelStateStore, 'save' | 'load' | 'delete' | 'list'>;

const memoryOff = () =>
  new UsageError('state lives in the workspace database, and memory is off ([memory] enabled = false)', {
    hint: 'enable memory (remove [memory] enabled = false) to save state',
  });

export function stateCalls(memory: WorkspaceMemory | undefined): StateCalls {
  if (memory) return memory.db.state;
  return {
    save: async () => Promise.reject(memoryOff()),
    load: async () => Promise.reject(memoryOff()),
    delete: async () => Promise.reject(memoryOff()),
    list: async () => Promise.reject(memoryOff()),
  };
}
