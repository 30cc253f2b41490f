/**
 * Oxydra's score fusion: each candidate list is min-max normalised to [0, 1] on its own (so
 * cosine similarities and bm25 scores become comparable), then score = wv·v + wf·f, where a
 * chunk missing from a list gets 0 there. Ties go to the newer chunk (higher id).
 */

export interface FusedScore {
  id: number;
  score: number;
  vector: number;
  fts: number;
}

/** Higher raw score = better. A list whose scores are all equal normalises to 1 for each. */
export function minMaxNormalise(scores: ReadonlyMap<number, number>): Map<number, number> {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const score of scores.values()) {
    if (score < min) min = score;
    if (score > max) max = score;
  }
  const range = max - min;
  const out = new Map<number, number>();
  for (const [id, score] of scores) out.set(id, range > 0 ? (score - min) / range : 1);
  return out;
}

export function fuseScores(
  vector: ReadonlyMap<number, number>,
  fts: ReadonlyMap<number, number>,
  weights: { vector: number; fts: number },
): FusedScore[] {
  // A list weighted 0 proposes no candidates: they would only fill the results with score 0.
  const v = weights.vector > 0 ? minMaxNormalise(vector) : new Map<number, number>();
  const f = weights.fts > 0 ? minMaxNormalise(fts) : new Map<number, number>();
  const fused: FusedScore[] = [];
  for (const id of new Set([...v.keys(), ...f.keys()])) {
    const vs = v.get(id) ?? 0;
    const fs = f.get(id) ?? 0;
    fused.push({ id, score: weights.vector * vs + weights.fts * fs, vector: vs, fts: fs });
  }
  return fused.sort((a, b) => b.score - a.score || b.id - a.id);
}
