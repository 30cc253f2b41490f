/**
 * `[memory]`: sessions, notes and retrieval in an embedded libSQL file (or a remote libSQL
 * server), how text becomes vectors, and how recall weighs vector against full-text relevance.
 */
import { z } from 'zod';
import { once, positiveInt } from '../once.js';

const ratio = once(() => z.number().min(0).max(1));

export const EMBEDDING_BACKENDS = ['deterministic', 'openai', 'gemini', 'model2vec'] as const;

export const memorySchema = once(() =>
  z.strictObject({
    enabled: z.boolean().default(true).describe('sessions, notes and retrieval in an embedded libSQL file'),
    db_path: z
      .string()
      .min(1)
      .default('.oxydra/memory.db')
      .describe('database file, relative to the workspace'),
    remote_url: z
      .url({ protocol: /^(libsql|https?|wss?)$/ })
      .optional()
      .describe('a remote libSQL / Turso server instead of the file'),
    auth_token: z.string().min(1).optional().describe('required when remote_url is set'),
    embedding_backend: z
      .enum(EMBEDDING_BACKENDS)
      .default('deterministic')
      .describe('how text becomes vectors'),
    embedding_provider: z
      .string()
      .min(1)
      .optional()
      .describe(
        'registry entry whose API embeds (openai / gemini backends); default: the built-in entry of that type',
      ),
    embedding_model: z
      .string()
      .min(1)
      .optional()
      .describe(
        'embedding model id (default: text-embedding-3-small for openai, gemini-embedding-001 for gemini)',
      ),
    embedding_timeout_secs: positiveInt()
      .max(3600)
      .default(60)
      .describe(
        'openai / gemini backends: how long an embedding request waits for the server to answer (recall and indexing then go on without it, warned)',
      ),
    model2vec_model: z
      .string()
      .min(1)
      .default('minishlab/potion-base-8M')
      .describe(
        'model2vec backend: a Hugging Face repo id, an https URL of the model folder, or a local folder',
      ),
    retrieval: z
      .strictObject({
        top_k: z.int().min(1).max(100).default(8).describe('results per query'),
        vector_weight: ratio()
          .default(0.7)
          .describe('weight of vector similarity; with fts_weight sums to 1'),
        fts_weight: ratio().default(0.3).describe('weight of full-text (bm25) relevance'),
      })
      .prefault({}),
  }),
);
