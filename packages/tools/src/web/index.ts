/** The web tools, configured from the agent's [tools.web_search] section. */
import type { Tool } from '@oxydra/types';
import { webFetchTool, webSearchTool } from '../core/catalog.js';
import { DUCKDUCKGO_URL } from '../core/parameters.js';
import type { EgressPolicy } from './address-policy.js';
import type { Connector, Resolver, SafeFetch, SafeFetchOptions } from './safe-fetch.js';

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
 * A guarded fetch made at its first call, its modules loaded then. The address policy parses
 * host names and addresses (node:net's IPv6 pattern alone compiles in ~5 ms), which a run that
 * never fetches anything should not pay for at start-up.
 */
function atFirstCall(make: () => Promise<SafeFetch>): SafeFetch {
  let made: Promise<SafeFetch> | undefined;
  return async (url, init) => {
    made ??= make().catch((error: unknown) => {
      made = undefined;
      throw error;
    });
    return (await made)(url, init);
  };
}

export function createWebTools(options: WebToolsOptions): Tool[] {
  const config = options.webSearch;
  let basePolicy: EgressPolicy | undefined;
  const policy = async (): Promise<EgressPolicy> => {
    const { EgressPolicy } = await import('./address-policy.js');
    basePolicy ??= new EgressPolicy(config.egress_allowlist);
    return basePolicy;
  };
  const make = (p: () => Promise<EgressPolicy>, maxBytes?: number): SafeFetch => {
    if (options.fetch) return options.fetch;
    return atFirstCall(async () => {
      const { createSafeFetch } = await import('./safe-fetch.js');
      const fetchOptions: SafeFetchOptions = { policy: await p() };
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
  const searchPolicy = async (): Promise<EgressPolicy> => {
    const { urlPort } = await import('./address-policy.js');
    const backend = new URL(config.base_url ?? DUCKDUCKGO_URL);
    return (await policy()).with([`${backend.hostname}:${urlPort(backend)}`]);
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
