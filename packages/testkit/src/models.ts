/**
 * The model listing beside the chat API (what `oxydra doctor` probes): OpenAI and Anthropic
 * `GET /v1/models`, Gemini `GET /v1beta/models`, in each API's shape, listing the mock's
 * `models` option. Recorded like every request; not a model call.
 */
import type { MockApi } from './wire/index.js';

const MOCK_MODEL_ID = 'mock-model';

/**
 * What the mock lists unless told otherwise: its own id, and the ids the tests' configurations
 * name for it (a local model as Ollama lists a pulled one, the default selection, the embedder).
 */
const DEFAULT_MOCK_MODELS: readonly string[] = [
  MOCK_MODEL_ID,
  'llama3.2:latest',
  'gpt-4o-mini',
  'mock-embed',
];

export function modelListing(
  api: MockApi,
  method: string,
  path: string,
  models: readonly string[] = DEFAULT_MOCK_MODELS,
): string | undefined {
  if (method !== 'GET') return undefined;
  if ((api === 'openai-chat' || api === 'openai-responses') && path === '/v1/models') {
    return JSON.stringify({
      object: 'list',
      data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'oxydra-testkit' })),
    });
  }
  if (api === 'anthropic' && path === '/v1/models') {
    return JSON.stringify({
      data: models.map((id) => ({ type: 'model', id, display_name: id, created_at: '1970-01-01T00:00:00Z' })),
      has_more: false,
      first_id: models[0] ?? null,
      last_id: models.at(-1) ?? null,
    });
  }
  if (api === 'gemini' && path === '/v1beta/models') {
    return JSON.stringify({ models: models.map((id) => ({ name: `models/${id}`, displayName: id })) });
  }
  return undefined;
}
