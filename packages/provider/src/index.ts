/**
 * @oxydra/provider: the four wire APIs (OpenAI Chat Completions, OpenAI Responses, Anthropic
 * Messages, Gemini) as one streaming Provider interface, with the model catalog, dollar costs,
 * token counting, retries, circuit breaker and fallbacks.
 */
export * from './adapters/index.js';
export { checkLocalModel } from './adapters/llama-cpp/entry.js';
export { loadedLocalModels, releaseLocalModels } from './adapters/llama-cpp/held.js';
export { localModelsDir } from './adapters/llama-cpp/locate.js';
export * from './catalog/index.js';
export * from './embeddings/index.js';
export * from './factory/index.js';
export * from './reliability/index.js';
export * from './shared/index.js';
export { byWireApi, WIRE_APIS, type WireApi } from './wire-apis.js';
