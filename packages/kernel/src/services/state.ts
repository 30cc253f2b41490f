/**
 * state.save / load / delete / list: durable named JSON values (Oxios's state system call), for
 * hosts, programs and schedulers that need to remember something between runs. Each write is
 * atomic and versioned (compare-and-set with expectedVersion). The values live in a StateStore:
 * the one a host passed in (`KernelOptions.stores.state`), else the memory database's, so by
 * default memory must be on.
 */
import { type StateStore, UsageError } from '@oxydra/types';
import type { WorkspaceMemory } from '../assemble/memory.js';

export type StateCalls = StateStore;

const memoryOff = () =>
  new UsageError('state lives in the workspace database, and memory is off ([memory] enabled = false)', {
    hint: 'enable memory (remove [memory] enabled = false) to save state',
  });

export function stateCalls(memory: WorkspaceMemory | undefined, store?: StateStore): StateCalls {
  if (store) return store;
  if (memory) return memory.db.state;
  return {
    save: async () => Promise.reject(memoryOff()),
    load: async () => Promise.reject(memoryOff()),
    delete: async () => Promise.reject(memoryOff()),
    list: async () => Promise.reject(memoryOff()),
  };
}
