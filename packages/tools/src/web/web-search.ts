/** web_search: a few results (title, URL, snippet) from DuckDuckGo's HTML page or a SearxNG. */
import { z } from 'zod';
import { type DefinedTool, defineTool } from '../define.js';
import type { SafeFetch } from './safe-fetch.js';
import type { SearchResult } from './search-results.js';

export const DUCKDUCKGO_URL = 'https://html.duckduckgo.com/html/';
const MAX_SNIPPET_CHARS = 2000;

type Freshness = 'day' | 'week' | 'month' | 'year';

export interface WebSearchOptions {
  provider: 'duckduckgo' | 'searxng';
  /** DuckDuckGo's HTML endpoint (default DUCKDUCKGO_URL) or the SearxNG root (required). */
  baseUrl?: string;
  /** A safeFetch that allows the configured backend's host. */
  fetch: SafeFetch;
}

const DDG_FRESHNESS: Record<Freshness, string> = { day: 'd', week: 'w', month: 'm', year: 'y' };

function formatResults(results: readonly SearchResult[], count: number): string {
  return results
    .slice(0, count)
    .map((r, i) => {
      const snippet =
        r.snippet.length > MAX_SNIPPET_CHARS ? `${r.snippet.slice(0, MAX_SNIPPET_CHARS)}…` : r.snippet;
      const lines = [`${i + 1}. ${r.title}`, `   ${r.url}`];
      if (snippet !== '') lines.push(`   ${snippet}`);
      return lines.join('\n');
    })
    .join('\n');
}

export function webSearchTool(options: WebSearchOptions): DefinedTool {
  if (options.provider === 'searxng' && options.baseUrl === undefined) {
    throw new Error('tools.web_search.base_url is required for the searxng provider');
  }
  return defineTool({
    name: 'web_search',
    description: 'Search the web: a title, URL and snippet per result.',
    parameters: z.object({
      query: z.string().min(1),
      count: z.number().int().min(1).max(10).default(5),
      freshness: z.enum(['day', 'week', 'month', 'year']).optional(),
    }),
    safety: 'side_effecting',
    summarize: ({ query }) => `web_search ${JSON.stringify(query)}`,
    async execute({ query, count, freshness }, context) {
      // The readers of the answers (and the HTML parser under them) load at the first search.
      const { loadHtmlParser } = await import('./html-scan.js');
      await loadHtmlParser();
      const results =
        options.provider === 'searxng'
          ? await searxng(options, query, freshness, context.signal)
          : await duckduckgo(options, query, freshness, context.signal);
      if (results.length === 0) return `No results for ${JSON.stringify(query)}.`;
      return { content: formatResults(results, count), data: { results: results.slice(0, count) } };
    },
  });
}

async function duckduckgo(
  options: WebSearchOptions,
  query: string,
  freshness: Freshness | undefined,
  signal: AbortSignal,
): Promise<SearchResult[]> {
  const form = new URLSearchParams({ q: query });
  if (freshness) form.set('df', DDG_FRESHNESS[freshness]);
  const response = await options.fetch(options.baseUrl ?? DUCKDUCKGO_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    signal,
  });
  if (response.status >= 400) throw new Error(`DuckDuckGo answered HTTP ${response.status}`);
  const html = response.body.toString('utf8');
  const { parseDuckDuckGo } = await import('./search-results.js');
  const results = parseDuckDuckGo(html);
  if (results.length === 0 && /anomaly|captcha/i.test(html)) {
    throw new Error('DuckDuckGo refused the search with a bot check; try again later or configure a SearxNG');
  }
  return results;
}

async function searxng(
  options: WebSearchOptions,
  query: string,
  freshness: Freshness | undefined,
  signal: AbortSignal,
): Promise<SearchResult[]> {
  const base = (options.baseUrl ?? '').replace(/\/+$/, '');
  const url = new URL(`${base}/search`);
  url.searchParams.set('q', query);
  url.searchParams.set('format', 'json');
  if (freshness) url.searchParams.set('time_range', freshness);
  const response = await options.fetch(url.href, { headers: { accept: 'application/json' }, signal });
  if (response.status >= 400) {
    throw new Error(
      `SearxNG answered HTTP ${response.status}${response.status === 403 ? ' (is format=json enabled in its settings?)' : ''}`,
    );
  }
  const { parseSearxng } = await import('./search-results.js');
  return parseSearxng(response.body.toString('utf8'));
}
