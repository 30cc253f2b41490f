/**
 * Embedders whose implementation (and SDK) loads on the first embed call, like the chat
 * adapters (see lazyAdapter in adapters/define.ts): creating one, e.g. while loading
 * configuration, costs nothing. `dimensions` is the expected size until the first answer, then
 * the size seen.
 */
import type { Embedder, EmbedOptions } from '@oxydra/types';

/** The part of an embedder that needs the SDK; reports each request's usage to `onUsage`. */
export type EmbedBatch = (texts: string[], onUsage?: EmbedOptions['onUsage']) => Promise<Float32Array[]>;

export interface LazyEmbedderSpec {
  modelId: string;
  /** 0: unknown until the first answer. */
  dimensions: number;
  load: () => Promise<EmbedBatch>;
}

export function lazyEmbedder(spec: LazyEmbedderSpec): Embedder {
  let run: Promise<EmbedBatch> | undefined;
  let dimensions = spec.dimensions;
  return {
    modelId: spec.modelId,
    get dimensions() {
      return dimensions;
    },
    async embed(texts: string[], options?: EmbedOptions): Promise<Float32Array[]> {
      if (texts.length === 0) return [];
      run ??= spec.load();
      // A failed load (say, a broken install) is retried on the next call, not cached.
      run.catch(() => {
        run = undefined;
      });
      const vectors = await (await run)(texts, options?.onUsage);
      for (const vector of vectors) {
        if (dimensions === 0) dimensions = vector.length;
        if (vector.length !== dimensions) {
          throw new Error(
            `${spec.modelId} returned a ${vector.length}-dimensional vector, expected ${dimensions}`,
          );
        }
      }
      return vectors;
    },
  };
}
