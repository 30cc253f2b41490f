/** web_search's readers of its backends' answers: DuckDuckGo's HTML page and SearxNG's JSON. */
import { scanHtml } from './html-scan.js';
import { collapseWhitespace, plainText } from './html-to-text.js';

export interface SearchResult {
  title: string;
  url: string;
  snippet: string;
}

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

export function parseSearxng(json: string): SearchResult[] {
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
