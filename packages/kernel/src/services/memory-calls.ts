/**
 * memory.remember / memory.recall: notes and hybrid search for hosts and programs, the same
 * store and retriever the agents' memory tools use (a remembered note is found by the agents).
 */
import type { MemoryDatabase } from '@oxydra/memory';
import { type SearchHit, UsageError } from '@oxydra/types';
import type { WorkspaceMemory } from '../assemble/memory.js';

type NoteWriteResult = Awaited<ReturnType<MemoryDatabase['notes']['save']>>;

export interface MemoryCalls {
  remember(content: string, options?: { tags?: string[]; userId?: string }): Promise<NoteWriteResult>;
  recall(query: string, options?: { topK?: number; tags?: string[]; userId?: string }): Promise<SearchHit[]>;
}

const MEMORY_OFF = () =>
  new UsageError('memory is off ([memory] enabled = false)', {
    hint: 'enable memory (remove [memory] enabled = false) to remember and recall',
  });

export function memoryCalls(memory: WorkspaceMemory | undefined): MemoryCalls {
  return {
    async remember(content, options = {}) {
      if (!memory) throw MEMORY_OFF();
      return memory.db.notes.save({ content, ...options });
    },
    async recall(query, options = {}) {
      if (!memory) throw MEMORY_OFF();
      return memory.retriever.search({ query, ...options });
    },
  };
}
