/**
 * model2vec static embeddings (the "potion" models, e.g. minishlab/potion-base-8M), computed
 * locally with no dependencies: tokenizer.json (WordPiece), model.safetensors (the
 * "embeddings" matrix) and config.json, downloaded once into a cache folder.
 */
import { type DownloadProgress, ensureModelFiles } from './download.js';
import { loadModel2Vec, type Model2VecEmbedder } from './embedder.js';
import { MODEL_FILES, resolveModelSource } from './source.js';

export type { DownloadProgress } from './download.js';
export { Model2VecEmbedder } from './embedder.js';

export interface Model2VecOptions {
  /**
   * A Hugging Face repo id ("minishlab/potion-base-8M", fetched from
   * $OXYDRA_HF_BASE_URL or https://huggingface.co), an http(s) URL of a folder holding the
   * model files, or a local folder (absolute, ./relative, ~/..., or any existing folder).
   */
  model: string;
  /** The model's own cache folder; default ~/.cache/oxydra/models/<sanitised id>/. */
  cacheDir?: string;
  /** Called as each file downloads (never for files already cached). */
  onProgress?: (progress: DownloadProgress) => void;
  /** For tests and proxies; the global fetch by default. */
  fetch?: typeof fetch;
}

/**
 * Loads a model2vec model, downloading its files on first use. The embedder's modelId is
 * "model2vec:<repo id | URL | absolute folder>", stable across runs for the same source.
 */
export async function createModel2VecEmbedder(options: Model2VecOptions): Promise<Model2VecEmbedder> {
  const source = resolveModelSource(options.model, { cacheDir: options.cacheDir });
  if (source.kind === 'remote') {
    await ensureModelFiles({
      label: source.id,
      baseUrl: source.baseUrl,
      dir: source.dir,
      fetch: options.fetch ?? globalThis.fetch,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  }
  const hint =
    source.kind === 'remote'
      ? `delete ${source.dir} to download it again`
      : `put ${MODEL_FILES.join(', ')} from a model2vec model in ${source.dir}`;
  return loadModel2Vec({ dir: source.dir, modelId: `model2vec:${source.id}`, label: source.id, hint });
}
