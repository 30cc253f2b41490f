/**
 * A retriever made at its first use. An embedding model whose vector size is not known in
 * advance (a custom model on an OpenAI-compatible server: Ollama's `nomic-embed-text`) needs one
 * answer before the search index can be opened for it. Asked at start, a server that failed
 * (down, the model not pulled, a 500) failed every run before its first model call; here the
 * first search or indexing asks, and while the server fails each of them fails alone (recall and
 * indexing are best effort: the run warns and goes on, as it does for a model of known size).
 */
import { keptOnSuccess } from '@oxydra/types';
import type { Retriever } from './retriever.js';

/** The calls hosts make of a retriever: a Retriever, or one made at its first use. */
export type RetrieverCalls = Pick<
  Retriever,
  | 'search'
  | 'indexNote'
  | 'indexNotes'
  | 'indexConversation'
  | 'removeSource'
  | 'bulkLoad'
  | 'reindex'
  | 'stats'
>;

/**
 * A retriever whose calls wait for `make` (called at the first call, once at a time); a failed
 * `make` fails the calls waiting for it, and the next call tries again.
 */
export function deferredRetriever(make: () => Promise<Retriever>): RetrieverCalls {
  const retriever = keptOnSuccess(make);
  const ready = () => retriever.get();
  return {
    search: async (query) => (await ready()).search(query),
    indexNote: async (note) => (await ready()).indexNote(note),
    indexNotes: async (notes) => (await ready()).indexNotes(notes),
    indexConversation: async (input) => (await ready()).indexConversation(input),
    removeSource: async (type, id) => (await ready()).removeSource(type, id),
    bulkLoad: async (work) => (await ready()).bulkLoad(work),
    reindex: async (options) => (await ready()).reindex(options),
    stats: async () => (await ready()).stats(),
  };
}
