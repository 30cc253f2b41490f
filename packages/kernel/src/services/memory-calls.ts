/**
 * memory.remember / memory.recall: notes and hybrid search for hosts and programs, the same
 * store and retriever the agents' memory tools use (a remembered note is found by the agents).
 */
import type { MemoryDatabase } from '@oxydra/memory';
import { type SearchHit, UsageError } from '@oxydra/types';
import type { WorkspaceMemory } from '../assemble/memory.js';

type NoteWriteResult = Awaited<ReturnType<MemoryDatabase['notes']['save']>>;
type Note = Awaited<ReturnType<MemoryDatabase['notes']['list']>>[number];

export interface MemoryCalls {
  remember(content: string, options?: { tags?: string[]; userId?: string }): Promise<NoteWriteResult>;
  recall(query: string, options?: { topK?: number; tags?: string[]; userId?: string }): Promise<SearchHit[]>;
  /** Notes, newest first; a user's only when `userId` is given. */
  notes(options?: { userId?: string; tags?: string[]; limit?: number; offset?: number }): Promise<Note[]>;
  /** Deletes a note (another user's is "not found": false). */
  forget(id: string, options?: { userId?: string }): Promise<boolean>;
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
    async notes(options = {}) {
      if (!memory) throw MEMORY_OFF();
      return memory.db.notes.list(options);
    },
    async forget(id, options = {}) {
      if (!memory) throw MEMORY_OFF();
      if (!(await memory.db.notes.get(id, options))) return false;
      await memory.db.notes.delete(id, options);
      return true;
    },
  };
}
