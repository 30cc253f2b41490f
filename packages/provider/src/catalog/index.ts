export { type CostOptions, costOf, costOptionsFor, withCost } from './cost.js';
export { formatModelDetails, formatModelList, formatPrice, formatTokenCount } from './format.js';
export { CATALOG_SCHEMA_VERSION, loadCatalog, parseCatalog } from './load.js';
export {
  catalogModelIds,
  catalogNamespaces,
  findCatalogEntry,
  findModel,
  findModelAnywhere,
  listModels,
} from './lookup.js';
export {
  type ModelInfo,
  type ModelPrices,
  SYNTHETIC_CONTEXT_WINDOW,
  SYNTHETIC_MAX_OUTPUT,
  synthesizeModelInfo,
  toModelInfo,
} from './model-info.js';
export { CATALOG_NAMESPACE_BY_TYPE, catalogNamespace } from './namespace.js';
export {
  applyOverrides,
  type CapabilityOverrides,
  type ResolveModelOptions,
  resolveModel,
  unknownModelError,
} from './resolve.js';
export type {
  CatalogCost,
  CatalogEntry,
  CatalogProvider,
  CatalogSnapshot,
  CatalogSource,
} from './snapshot.js';
export { didYouMeanModel, suggestModelIds } from './suggest.js';
export {
  ATTACHMENT_TOKEN_ESTIMATE,
  countMessageTokens,
  countTokens,
  countToolTokens,
  MESSAGE_OVERHEAD_TOKENS,
  messageTokensUpperBound,
  REPLY_PRIMING_TOKENS,
  TOOL_CALL_OVERHEAD_TOKENS,
  TOOL_OVERHEAD_TOKENS,
  toolTokensUpperBound,
  utf8Bytes,
} from './tokens.js';
