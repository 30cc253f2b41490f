/**
 * The vector size of an embedding model Oxydra does not know (a custom model on an
 * OpenAI-compatible server: Ollama's `nomic-embed-text`), kept from its first answer in the
 * memory database's state. Without it every process asked the server once more before its first
 * search or indexing (one more request on the way to every `oxydra run`'s first model call).
 * Kept per server and model: the same model name elsewhere may be another model.
 */
import { createHash } from 'node:crypto';
import type { Embedder, StateStore } from '@oxydra/types';

const CATEGORY = 'memory.embedder_sizes';

export interface KeptSize {
  /** The size an earlier process learnt; undefined when none is kept (or it cannot be read). */
  load(): Promise<number | undefined>;
  /** Keeps `size` for later processes (best effort: a failure only means they ask again). */
  save(size: number): Promise<void>;
  /** Forgets it, so that the next process asks again. */
  drop(): Promise<void>;
}

/** The kept size of the model `identity` names (its backend, server address and model id). */
export function keptSize(state: () => StateStore, identity: string): KeptSize {
  const name = createHash('sha256').update(identity).digest('hex').slice(0, 40);
  return {
    async load() {
      try {
        const kept = await state().load<{ dimensions?: unknown }>(CATEGORY, name);
        const size = kept?.value.dimensions;
        return typeof size === 'number' && Number.isInteger(size) && size > 0 ? size : undefined;
      } catch {
        return undefined;
      }
    },
    async save(size) {
      await state()
        .save(CATEGORY, name, { dimensions: size })
        .catch(() => {});
    },
    async drop() {
      await state()
        .delete(CATEGORY, name)
        .catch(() => {});
    },
  };
}

/**
 * `embedder` with the vector size `size` before its first answer. An answer of another size (the
 * server now serves another model under that name) fails, and the kept size is dropped: the
 * search index was opened for `size`, so this process cannot use the new vectors; the next one
 * asks the server again.
 */
export function withKeptSize(embedder: Embedder, size: number, kept: KeptSize): Embedder {
  return {
    modelId: embedder.modelId,
    get dimensions() {
      return embedder.dimensions || size;
    },
    async embed(texts, options) {
      const vectors = await embedder.embed(texts, options);
      const other = vectors.find((vector) => vector.length !== size);
      if (other !== undefined) {
        await kept.drop();
        throw new Error(
          `${embedder.modelId} answered with ${other.length}-dimensional vectors, not the ${size} its earlier answers had: memory search is off until the next start, which asks the server again`,
        );
      }
      return vectors;
    },
  };
}
