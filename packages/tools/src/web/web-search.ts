/** web_search: a few results (title, URL, snippet) from DuckDuckGo's HTML page or a SearxNG. */
import { z } from 'zod';
import { type DefinedTool, defineTool } from '../define.js';
import { loadHtmlParser, scanHtml } from './html-scan.js';
import { collapseWhitespace, plainText } from './html-to-text.js';
import type { SafeFetch } from './safe-fetch.js';

export const DUCKDUCKGO_URL = 'https://html.duckduckgo.com/html/';
const MAX_SNIPPET_CHARS = 2000;

export interface SearchResult {
  title: string;
  url: string;
  snippet: string;
}

type Freshness = 'day' | 'week' | 'month' | 'year';

export interface WebSearchOptions {
  provider: 'duckduckgo' | 'searxng';
  /** DuckDuckGo's HTML endpoint (default DUCKDUCKGO_URL) or the SearxNG root (required). */
  baseUrl?: string;
  /** A safeFetch that allows the configured backend's host. */
  fetch: SafeFetch;
}

const DDG_FRESHNESS: Record<Freshness, string> = { day: 'd', week: 'w', month: 'm', year: 'y' };

/** DuckDuckGo wraps result links as //duckduckgo.com/l/?uddg=<target>; unwrap them. */
function ddgTarget(href: string): string {
  try {
    const url = new URL(href, 'https://duckduckgo.com/');
    return url.searchParams.get('uddg') ?? url.href;
  } catch {
    return href;
  }
}

const DDG_ATTRIBUTES: ReadonlySet<string> = new Set(['href', 'class']);
const hasClass = (attrs: ReadonlyMap<string, string>, name: string): boolean =>
  (attrs.get('class') ?? '').split(/[ \t\n\r\f]+/).includes(name);

/**
 * Results are `<a class="result__a" href>` title links, each followed by an element of class
 * `result__snippet`. One linear scan (html-scan): the results page is untrusted input too.
 */
export function parseDuckDuckGo(html: string): SearchResult[] {
  const found: { href: string | undefined; title: string[]; snippet: string[] }[] = [];
  let inTitle = false;
  let inSnippet = false;
  let snippetSeen = false;
  scanHtml(
    html,
    {
      open(tag, attrs) {
        if (tag === 'a' && hasClass(attrs, 'result__a')) {
          found.push({ href: attrs.get('href'), title: [], snippet: [] });
          inTitle = true;
          inSnippet = false;
          snippetSeen = false;
        } else if (found.length > 0 && !snippetSeen && hasClass(attrs, 'result__snippet')) {
          inSnippet = true;
          snippetSeen = true;
        }
      },
      close(tag) {
        if (tag === 'a') inTitle = false;
        if (tag === 'a' || tag === 'div' || tag === 'td') inSnippet = false;
      },
      text(text) {
        const result = found.at(-1);
        if (inTitle) result?.title.push(text);
        else if (inSnippet) result?.snippet.push(text);
      },
    },
    { wantedAttributes: DDG_ATTRIBUTES },
  );
  return found.flatMap(({ href, title, snippet }) => {
    if (href === undefined) return [];
    const url = ddgTarget(href);
    // Ads point at duckduckgo.com/y.js; they are not results.
    if (/^https?:\/\/duckduckgo\.com\/y\.js/.test(url)) return [];
    const text = (pieces: string[]): string => collapseWhitespace(pieces.join('')).trim();
    return [{ title: text(title), url, snippet: text(snippet) }];
  });
}

function parseSearxng(json: string): SearchResult[] {
  const parsed = JSON.parse(json) as { results?: unknown };
  if (!Array.isArray(parsed.results)) throw new Error('SearxNG answered without a results list');
  return parsed.results.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) return [];
    const { title, url, content } = item as Record<string, unknown>;
    if (typeof url !== 'string') return [];
    return [
      {
        title: typeof title === 'string' ? title : url,
        url,
        snippet: typeof content === 'string' ? plainText(content) : '',
      },
    ];
  });
}

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
  return parseSearxng(response.body.toString('utf8'));
}
