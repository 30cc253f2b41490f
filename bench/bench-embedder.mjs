// The embedder a search bench's `--embedder` names: `deterministic` (the default: the store's
// default embedder, hashed words and n-grams in 256 dimensions) or `static` (a 100-dimension
// static word-embedding model, GloVe's vectors in model2vec's format, made by
// bench/make-static-model.mjs and loaded by the product's own model2vec embedder from its folder).
// The static model knows English words only: on the synthetic corpora, whose words are made up,
// almost every word would be unknown and dropped, so it is refused there.
import { createDeterministicEmbedder } from '../packages/memory/dist/embedders/deterministic.js';

export async function openEmbedder(name, corpus) {
  if (name === 'deterministic') return createDeterministicEmbedder({ dimensions: 256 });
  if (name !== 'static') throw new Error(`bad --embedder ${name}: deterministic or static`);
  if (corpus !== 'docs')
    throw new Error(
      '--embedder static needs --corpus docs: the synthetic corpora are pseudo-words it does not know',
    );
  const { staticModelDir } = await import('./make-static-model.mjs');
  const { createModel2VecEmbedder } = await import('../packages/memory/dist/embedders/model2vec/index.js');
  return createModel2VecEmbedder({ model: staticModelDir() });
}
