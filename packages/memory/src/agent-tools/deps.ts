/**
 * What the memory tools need from the memory database, narrowed to the calls they make, so
 * the tools can be tested against the real store and stay independent of its class shapes.
 */
import type { SearchHit } from '@oxydra/types';

export interface NoteView {
  id: string;
  content: string;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

export interface NoteScope {
  userId?: string;
}

export interface MemoryToolDeps {
  /** `scope` keeps one user's agent away from another user's notes (not found, as if absent). */
  notes: {
    save(note: { content: string; tags?: string[]; userId?: string }): Promise<NoteView>;
    update(id: string, note: { content: string; tags?: string[] }, scope?: NoteScope): Promise<unknown>;
    delete(id: string, scope?: NoteScope): Promise<unknown>;
    get(id: string, scope?: NoteScope): Promise<NoteView | undefined>;
  };
  search(query: {
    query: string;
    topK: number;
    tags?: string[];
    userId?: string;
    includeConversation: boolean;
  }): Promise<SearchHit[]>;
  state: {
    get(sessionId: string, key: string): Promise<{ value: string; epoch: number } | undefined>;
    set(sessionId: string, key: string, value: string, expectedEpoch: number | null): Promise<boolean>;
  };
}
