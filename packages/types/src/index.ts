export * from './channels.js';
export * from './config/index.js';
export * from './errors.js';
export * from './host-patterns.js';
export * from './import-module.js';
export type * from './interfaces.js';
export * from './messages.js';
export { FRESH_MS, FreshLooks, keptOnSuccess } from './once.js';
export * from './provider.js';
export * from './secret-folders.js';
export {
  looksLikeRandomToken,
  type RandomTokenOptions,
  redactSecretForms,
  TOKEN_RUN_SOURCE,
  urlPassword,
} from './secret-forms.js';
export * from './session-ids.js';
export * from './session-names.js';
export * from './stores/index.js';
export * from './stream.js';
export * from './stream-reading.js';
export * from './suggest.js';
export * from './terminal-text.js';
export * from './tool-failure.js';
export * from './tools.js';
export {
  descriptionWords,
  disownedText,
  mcpDescriptionNote,
  recalledUntrustedLine,
  shownUrl,
  showUntrusted,
  untrustedLine,
} from './untrusted-text.js';
export {
  GENERIC_KEY_ENV,
  type ModelListing,
  providerKeyVariables,
  WIRE_FACTS,
  type WireFacts,
} from './wire-facts.js';
