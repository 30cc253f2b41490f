/**
 * `@oxydra/tools/safe-fetch`: the SSRF-guarded fetch and its address policy, for callers outside
 * the web tools (the A2A client). Apart from the package's index, which every run loads, so a run
 * that fetches nothing does not load them. (How a result marks another party's words as
 * untrusted is @oxydra/types' showUntrusted.)
 */
export { addressRestriction, canonicalIp, EgressPolicy, isPublicAddress } from '../web/address-policy.js';
export {
  type Connector,
  type ConnectTarget,
  createSafeFetch,
  DEFAULT_MAX_RESPONSE_BYTES,
  EgressRefused,
  type Resolver,
  type SafeFetch,
  type SafeFetchOptions,
  type SafeResponse,
  systemResolver,
} from '../web/safe-fetch.js';
