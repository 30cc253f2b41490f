/** The web tools, configured from the agent's [tools.web_search] section. */
import type { Tool } from '@oxydra/types';
import { EgressPolicy, urlPort } from './address-policy.js';
import { type Connector, createSafeFetch, type Resolver, type SafeFetch } from './safe-fetch.js';
import { webFetchTool } from './web-fetch.js';
import { DUCKDUCKGO_URL, webSearchTool } from './web-search.js';

export { addressRestriction, canonicalIp, EgressPolicy, isPublicAddress } from './address-policy.js';
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
} from './safe-fetch.js';
export { webFetchTool } from './web-fetch.js';
export { webSearchTool } from './web-search.js';

/** The config's tools.web_search (structurally; the schema's output type fits). */
export interface WebSearchConfig {
  provider: 'duckduckgo' | 'searxng';
  base_url?: string | undefined;
  egress_allowlist: readonly string[];
}

export interface WebToolsOptions {
  webSearch: WebSearchConfig;
  /** Replaces DNS resolution for the SSRF check (tests). */
  resolve?: Resolver;
  /** Where sockets for checked addresses really go (tests). */
  connect?: Connector;
  /** Replaces the whole guarded fetch (tests); `resolve`/`connect` are then unused. */
  fetch?: SafeFetch;
  timeoutMs?: number;
  /** web_fetch's text cap. Default 50,000 characters. */
  maxChars?: number;
}

/** Search responses are small; a megabyte is plenty and bounds a misbehaving backend. */
const SEARCH_MAX_BYTES = 1024 * 1024;

/**
 * A guarded fetch made at its first call. The address policy parses host names and addresses
 * (node:net's IPv6 pattern alone compiles in ~5 ms), which a run that never fetches anything
 * should not pay for at start-up.
 */
function atFirstCall(make: () => SafeFetch): SafeFetch {
  let made: SafeFetch | undefined;
  return (url, init) => {
    made ??= make();
    return made(url, init);
  };
}

export function createWebTools(options: WebToolsOptions): Tool[] {
  const config = options.webSearch;
  let basePolicy: EgressPolicy | undefined;
  const policy = (): EgressPolicy => (basePolicy ??= new EgressPolicy(config.egress_allowlist));
  const make = (p: () => EgressPolicy, maxBytes?: number): SafeFetch => {
    if (options.fetch) return options.fetch;
    return atFirstCall(() => {
      const fetchOptions: Parameters<typeof createSafeFetch>[0] = { policy: p() };
      if (options.resolve) fetchOptions.resolve = options.resolve;
      if (options.connect) fetchOptions.connect = options.connect;
      if (options.timeoutMs !== undefined) fetchOptions.timeoutMs = options.timeoutMs;
      if (maxBytes !== undefined) fetchOptions.maxBytes = maxBytes;
      return createSafeFetch(fetchOptions);
    });
  };
  // The configured backend is the user's own choice (often a SearxNG on localhost), so its
  // host:port is allowed for searches only; web_fetch keeps the plain policy. Worked out with
  // the search policy, at the first search, like the rest of the address policy.
  const searchPolicy = (): EgressPolicy => {
    const backend = new URL(config.base_url ?? DUCKDUCKGO_URL);
    return policy().with([`${backend.hostname}:${urlPort(backend)}`]);
  };
  const fetchTool =
    options.maxChars === undefined
      ? webFetchTool({ fetch: make(policy) })
      : webFetchTool({ fetch: make(policy), maxChars: options.maxChars });
  const searchOptions: Parameters<typeof webSearchTool>[0] = {
    provider: config.provider,
    fetch: make(searchPolicy, SEARCH_MAX_BYTES),
  };
  if (config.base_url !== undefined) searchOptions.baseUrl = config.base_url;
  return [fetchTool, webSearchTool(searchOptions)];
}
