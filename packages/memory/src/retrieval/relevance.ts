/**
 * The relevance floor. Fusion min-max normalises each candidate list, so the best of a set of
 * unrelated chunks still scores high; without a floor, every search is padded to top_k with
 * whatever is least unrelated, and recall fills the prompt with noise. A candidate counts only
 * when its raw cosine similarity reaches the embedder's floor, or the full-text index matched
 * one of the query's words.
 *
 * Cosine baselines differ by model: unrelated texts sit near 0 for the deterministic hashed
 * features (measured: below 0.2, a shared word gives 0.5+), around 0.1-0.2 for OpenAI's and
 * model2vec's embeddings, and around 0.5-0.6 for Gemini's.
 */

const FLOOR_BY_MODEL_PREFIX: readonly (readonly [string, number])[] = [
  ['deterministic-', 0.06],
  ['openai:', 0.3],
  ['gemini:', 0.6],
];

/** For models we know nothing about (model2vec and custom ones): above their usual noise. */
const DEFAULT_FLOOR = 0.3;

export function relevanceFloor(modelId: string): number {
  return FLOOR_BY_MODEL_PREFIX.find(([prefix]) => modelId.startsWith(prefix))?.[1] ?? DEFAULT_FLOOR;
}

/** The vector candidates similar enough to be worth returning. */
export function aboveFloor(similarities: ReadonlyMap<number, number>, floor: number): Map<number, number> {
  return new Map([...similarities].filter(([, similarity]) => similarity >= floor));
}
