/**
 * The model listing beside the chat API (what `oxydra doctor` probes): OpenAI and Anthropic
 * `GET /v1/models`, Gemini `GET /v1beta/models`. One model, `mock-model`, in each API's shape.
 * Recorded like every request; not a model call.
 */
import type { MockApi } from './wire/types.js';

export const MOCK_MODEL_ID = 'mock-model';

export function modelListing(api: MockApi, method: string, path: string): string | undefined {
  if (method !== 'GET') return undefined;
  if ((api === 'openai-chat' || api === 'openai-responses') && path === '/v1/models') {
    return JSON.stringify({
      object: 'list',
      data: [{ id: MOCK_MODEL_ID, object: 'model', created: 0, owned_by: 'oxydra-testkit' }],
    });
  }
  if (api === 'anthropic' && path === '/v1/models') {
    return JSON.stringify({
      data: [{ type: 'model', id: MOCK_MODEL_ID, display_name: 'Mock', created_at: '1970-01-01T00:00:00Z' }],
      has_more: false,
      first_id: MOCK_MODEL_ID,
      last_id: MOCK_MODEL_ID,
    });
  }
  if (api === 'gemini' && path === '/v1beta/models') {
    return JSON.stringify({ models: [{ name: `models/${MOCK_MODEL_ID}`, displayName: 'Mock' }] });
  }
  return undefined;
}
