/**
 * The input rules of the SearchIndexStore contract both backends apply (the libSQL index here,
 * the PostgreSQL one through @oxydra/memory/store-input): a model's dimensions, and a vector of
 * exactly the model's dimensions.
 */
import type { SearchModel } from '@oxydra/types';

/** A copy of `model`, refused (RangeError) unless its dimensions are a whole number >= 1. */
export function checkSearchModel(model: SearchModel): SearchModel {
  if (!Number.isInteger(model.dimensions) || model.dimensions < 1) {
    throw new RangeError(`search index model ${model.id} needs a whole number of dimensions >= 1`);
  }
  return { id: model.id, dimensions: model.dimensions };
}

/** `vector`, refused (RangeError) when its dimensions are not the model's. */
export function checkVectorDimensions(vector: Float32Array, model: SearchModel): Float32Array {
  if (vector.length !== model.dimensions) {
    throw new RangeError(
      `vector has ${vector.length} dimensions, the search index's model ${model.id} ${model.dimensions}`,
    );
  }
  return vector;
}

/**
 * Whether `vector` is all zeros: what an embedder gives a text with no word it knows (model2vec
 * drops unknown words; the deterministic embedder a text of symbols only). Its cosine distance
 * to anything is undefined (NaN), so both backends answer it with no vector candidates.
 */
export function isZeroVector(vector: Float32Array): boolean {
  return vector.every((x) => x === 0);
}
