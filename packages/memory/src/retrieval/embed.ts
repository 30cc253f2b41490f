/** Calling an embedder and checking what came back before any of it is stored. */
import type { Embedder, EmbedOptions } from '@oxydra/types';

export async function embedChecked(
  embedder: Embedder,
  texts: readonly string[],
  options?: EmbedOptions,
): Promise<Float32Array[]> {
  if (texts.length === 0) return [];
  const vectors = await embedder.embed([...texts], options);
  if (vectors.length !== texts.length) {
    throw new Error(
      `embedder ${embedder.modelId} returned ${vectors.length} vectors for ${texts.length} texts`,
    );
  }
  for (const vector of vectors) {
    if (vector.length !== embedder.dimensions) {
      throw new Error(
        `embedder ${embedder.modelId} returned a ${vector.length}-dimensional vector, expected ${embedder.dimensions}`,
      );
    }
  }
  return vectors;
}
