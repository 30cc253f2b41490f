// bench/sdk-vs-fetch.mjs: the repository's root, the recorded provider streams, and the provider
// package's translators and request builders, imported from packages/provider/dist (not public API).
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = new URL('../../packages/provider/dist/', import.meta.url);
export const FIXTURES = new URL('../../../shared/fixtures/providers/', import.meta.url);
const internal = (path) => import(new URL(path, DIST).href);
export const [
  chatEvents,
  chatRequests,
  responsesEvents,
  responsesRequests,
  anthropicEvents,
  anthropicRequests,
] = await Promise.all([
  internal('adapters/openai-chat/provider.js'),
  internal('adapters/openai-chat/provider.js'),
  internal('adapters/openai-responses/events.js'),
  internal('adapters/openai-responses/request.js'),
  internal('adapters/anthropic/events.js'),
  internal('adapters/anthropic/request.js'),
]);
export const [geminiEvents, geminiRequests, retryAfter, sharedErrors] = await Promise.all([
  internal('adapters/gemini/events.js'),
  internal('adapters/gemini/request.js'),
  internal('shared/retry-after.js'),
  internal('shared/errors.js'),
]);
