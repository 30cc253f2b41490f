export type { AdapterFactories, AdapterFactory } from './adapters.js';
export {
  type AuthContext,
  type CreateProviderOptions,
  catalogKnowsServer,
  checkedModel,
  createProviderFromConfig,
  credentialLabel,
  describeAuthFailure,
  missingKeyError,
  type ProviderSetup,
  type ProviderTarget,
  withAuthContext,
  withModelInputCheck,
} from './create.js';
export {
  type CredentialSource,
  credentialCandidates,
  credentialValues,
  DEFAULT_BASE_URLS,
  describeCredentialSource,
  entryBaseURL,
  GENERIC_KEY_ENV,
  isCustomEndpoint,
  isHostedEndpoint,
  PROVIDER_TYPE_KEY_ENV,
  type ResolvedCredential,
  resolveCredential,
} from './credentials.js';
export {
  type ProbedKey,
  type ProbeOptions,
  type ProbeResult,
  probeEndpoint,
  servesModel,
} from './probe.js';
