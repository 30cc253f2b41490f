/**
 * After a copy: the target's search index built from the copied notes and conversations, with
 * the workspace's embedder, as saving them would have. The index itself is not copied (its
 * vectors belong to one embedding model, and each backend keeps its own kind of index), so
 * without this, memory_search and recall would find nothing that came with the copy. `memory` is
 * the workspace's memory opened on the target's stores (a libSQL file, or PostgreSQL's).
 */
import type { WorkspaceMemory } from '../assemble/memory.js';
import type { CopyProgress } from './copy.js';

const PAGE = 1000;

export async function indexCopiedMemory(
  memory: Pick<WorkspaceMemory, 'db' | 'retriever'>,
  /** How many notes and sessions there are to index (the copy's target counts), for progress. */
  counts: { notes: number; sessions: number },
  onProgress?: (progress: CopyProgress) => void,
): Promise<{ notes: number; sessions: number }> {
  const { db, retriever } = memory;
  // One bulk load: a server store builds its vector index once, after every chunk is in,
  // instead of row by row (SearchIndexStore.bulkLoad).
  return retriever.bulkLoad(() => indexAll(db, retriever, counts, onProgress));
}

async function indexAll(
  db: WorkspaceMemory['db'],
  retriever: WorkspaceMemory['retriever'],
  counts: { notes: number; sessions: number },
  onProgress: ((progress: CopyProgress) => void) | undefined,
): Promise<{ notes: number; sessions: number }> {
  let notes = 0;
  for (let offset = 0; ; offset += PAGE) {
    const page = await db.notes.list({ limit: PAGE, offset });
    // In bulk: a batch of notes per embedding request and per write, not a round trip per note.
    await retriever.indexNotes(
      page.map((note) => ({
        id: note.id,
        content: note.content,
        tags: note.tags,
        ...(note.userId ? { userId: note.userId } : {}),
        ...(note.taint ? { taint: note.taint } : {}),
      })),
    );
    notes += page.length;
    onProgress?.({ table: 'search index (notes)', copied: notes, total: counts.notes });
    if (page.length < PAGE) break;
  }
  let sessions = 0;
  for (let offset = 0; ; offset += PAGE) {
    const page = await db.sessions.list({ limit: PAGE, offset });
    for (const session of page) {
      const messages = await db.sessions.loadMessages(session.id);
      const userId = session.userId;
      await retriever.indexConversation({ sessionId: session.id, ...(userId ? { userId } : {}), messages });
    }
    sessions += page.length;
    onProgress?.({ table: 'search index (sessions)', copied: sessions, total: counts.sessions });
    if (page.length < PAGE) break;
  }
  return { notes, sessions };
}
