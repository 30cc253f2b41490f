export type { AdapterFactories, AdapterFactory } from './adapters.js';
export {
  type AuthContext,
  credentialLabel,
  describeAuthFailure,
  missingKeyError,
  withAuthContext,
} from './auth.js';
export {
  type CreateProviderOptions,
  createProviderFromConfig,
  type ProviderSetup,
  type ProviderTarget,
} from './create.js';
export {
  type CredentialSource,
  credentialCandidates,
  credentialValues,
  describeCredentialSource,
  GENERIC_KEY_ENV,
  PROVIDER_TYPE_KEY_ENV,
  type ResolvedCredential,
  resolveCredential,
} from './credentials.js';
export { DEFAULT_BASE_URLS, entryBaseURL, isCustomEndpoint, isHostedEndpoint } from './endpoints.js';
export { withModelInputCheck } from './model-inputs.js';
export { type ProbeOptions, type ProbeResult, probeEndpoint, servesModel } from './probe.js';
