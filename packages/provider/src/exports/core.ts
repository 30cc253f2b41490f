/**
 * `@oxydra/provider/core`: what a turn needs of this package, and nothing else: a configured
 * provider, its stream read into a response, token counts for the context window, dollar costs,
 * the credentials the kernel scrubs and the release of local models at its close. The runtime
 * and the kernel import this entry, so a one-shot `oxydra run` does not load the catalog's
 * formatting, the endpoint probe, the embedders or the re-exporting indexes of the full entry
 * (issue 32: "a small core").
 * Everything here is also exported by `@oxydra/provider`.
 */

export { createProvider } from '../adapters/index.js';
export { loadedLocalModels, releaseLocalModels } from '../adapters/llama-cpp/held.js';
export { addCost, isFree, pricesKnown, promptCostOf, withCost } from '../catalog/cost.js';
export type { ModelInfo } from '../catalog/models.js';
export {
  countMessageTokens,
  countToolTokens,
  messageTokensUpperBound,
  REPLY_PRIMING_TOKENS,
  toolTokensUpperBound,
} from '../catalog/tokens.js';
export type { AdapterFactories } from '../factory/adapters.js';
export type { ProviderSetup } from '../factory/create.js';
export { credentialValues, resolveCredential } from '../factory/credentials.js';
export { collectResponse, ResponseAssembler } from '../shared/stream.js';
