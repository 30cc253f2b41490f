/** web_search's code (its definition is in core/catalog.ts): DuckDuckGo's HTML page or a SearxNG, read. */
import { showUntrusted } from '@oxydra/types';
import {
  DUCKDUCKGO_URL,
  MAX_SEARCH_ANSWER_BYTES,
  type WebSearchArgs,
  type WebSearchOptions,
} from '../core/parameters.js';
import type { ToolRun } from '../define.js';
import type { SafeResponse } from './safe-fetch.js';
import type { SearchResult } from './search-results.js';

const MAX_SNIPPET_CHARS = 2000;

type Freshness = NonNullable<WebSearchArgs['freshness']>;

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

export function webSearch(options: WebSearchOptions): ToolRun<WebSearchArgs> {
  return async ({ query, count, freshness }, context) => {
    // The readers of the answers (and the HTML parser under them) load at the first search.
    const { loadHtmlParser } = await import('./html-scan.js');
    await loadHtmlParser();
    const results =
      options.provider === 'searxng'
        ? await searxng(options, query, freshness, context.signal)
        : await duckduckgo(options, query, freshness, context.signal);
    if (results.length === 0) return `No results for ${JSON.stringify(query)}.`;
    // Titles and snippets are the result pages' words (and the search engine's): untrusted.
    const content = showUntrusted(
      [],
      `search results for ${JSON.stringify(query)}`,
      formatResults(results, count),
    );
    return { content, data: { results: results.slice(0, count) } };
  };
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
  const html = answerText(response);
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
  return parseSearxng(answerText(response));
}

/**
 * The answer's text, refused when it went past MAX_SEARCH_ANSWER_BYTES (safeFetch stops there,
 * and a fetch passed in by a caller may not): a cut page parsed as if whole passed as a short
 * list of results, and a cut JSON failed with the parser's words.
 */
function answerText(response: Pick<SafeResponse, 'body' | 'truncated'>): string {
  if (response.truncated || response.body.length > MAX_SEARCH_ANSWER_BYTES)
    throw new Error(
      `the search backend's answer is larger than ${MAX_SEARCH_ANSWER_BYTES / 1024 / 1024} MiB, more than any search answer needs; it was refused (is base_url a search endpoint?)`,
    );
  return response.body.toString('utf8');
}
