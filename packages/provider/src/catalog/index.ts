export {
  type CostOptions,
  costOf,
  costOptionsFor,
  type PriceLookup,
  withCost,
  withUsageCost,
} from './cost.js';
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
export {
  applyOverrides,
  CATALOG_NAMESPACE_BY_TYPE,
  type CapabilityOverrides,
  catalogNamespace,
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
