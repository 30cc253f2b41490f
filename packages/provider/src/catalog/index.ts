export {
  type CostOptions,
  costOf,
  costOptionsFor,
  type PriceLookup,
  withCost,
  withUsageCost,
} from './cost.js';
export { formatModelDetails, formatModelList, formatPrice, formatTokenCount } from './format.js';
export {
  applyOverrides,
  CATALOG_NAMESPACE_BY_TYPE,
  CATALOG_SCHEMA_VERSION,
  type CapabilityOverrides,
  catalogModelIds,
  catalogNamespace,
  catalogNamespaces,
  findCatalogEntry,
  findModel,
  findModelAnywhere,
  listModels,
  loadCatalog,
  type ModelInfo,
  type ModelPrices,
  parseCatalog,
  type ResolveModelOptions,
  resolveModel,
  SYNTHETIC_CONTEXT_WINDOW,
  SYNTHETIC_MAX_OUTPUT,
  synthesizeModelInfo,
  toModelInfo,
  unknownModelError,
} from './models.js';
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
