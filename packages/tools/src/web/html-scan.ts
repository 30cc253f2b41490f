/**
 * HTML as a flat stream of open tags, close tags and decoded text, in one linear pass over
 * untrusted pages. It drives htmlparser2's Tokenizer (a state machine: each character is looked
 * at a bounded number of times, entities decoded by a trie) and deliberately not its Parser: the
 * Parser keeps an element stack it scans and unshifts on every tag, which is quadratic in the
 * nesting depth of a hostile page. The readers here (html-to-text, web_search) keep their own
 * counters instead of a tree.
 *
 * scanHtmlAsync feeds the page in slices and yields to the event loop between them, so a
 * megabytes-long page never holds the gateway's timers, health checks or SIGTERM.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Cancelled } from '@oxydra/types';
import type { Tokenizer, TokenizerCallbacks } from 'htmlparser2';

/**
 * htmlparser2 loads with the first page a web tool reads, not with the tools: building its entity
 * tables and compiling it cost every `oxydra run` and gateway start ~5 ms and its memory, and
 * most runs never fetch a page. The async entry points load it themselves; the synchronous ones
 * (small inputs: search results, snippets) need `await loadHtmlParser()` first.
 */
type HtmlParser = typeof import('htmlparser2');
let htmlParser: HtmlParser | undefined;

export async function loadHtmlParser(): Promise<void> {
  htmlParser ??= await import('htmlparser2');
}

function parser(): HtmlParser {
  if (!htmlParser) throw new Error('the HTML parser is not loaded: await loadHtmlParser() first');
  return htmlParser;
}

export interface HtmlHandler {
  /** `name` is lower-case; `attrs` holds the attributes named by `wantedAttributes`, decoded. */
  open(name: string, attrs: ReadonlyMap<string, string>, selfClosing: boolean): void;
  close(name: string): void;
  /** Text with entities decoded; one run of text may arrive in several pieces. */
  text(text: string): void;
}

export interface ScanOptions {
  /** Lower-case attribute names worth keeping (e.g. href); others are skipped unread. */
  wantedAttributes?: ReadonlySet<string>;
}

/** Characters fed between two yields to the event loop (~1 ms of tokenizing). */
const SCAN_SLICE_CHARS = 64 * 1024;

const NONE: ReadonlySet<string> = new Set();

function callbacks(html: string, handler: HtmlHandler, options: ScanOptions): TokenizerCallbacks {
  const wanted = options.wantedAttributes ?? NONE;
  let tag = '';
  let attrs = new Map<string, string>();
  let attrName: string | undefined;
  let attrValue = '';
  const slice = (start: number, end: number): string => html.slice(start, end);
  return {
    onopentagname(start, end) {
      tag = slice(start, end).toLowerCase();
      if (attrs.size > 0) attrs = new Map();
    },
    onattribname(start, end) {
      const name = slice(start, end).toLowerCase();
      attrName = wanted.has(name) && !attrs.has(name) ? name : undefined;
      attrValue = '';
    },
    onattribdata(start, end) {
      if (attrName !== undefined) attrValue += slice(start, end);
    },
    onattribentity(codePoint) {
      if (attrName !== undefined) attrValue += String.fromCodePoint(codePoint);
    },
    onattribend(quote) {
      if (attrName !== undefined) attrs.set(attrName, quote === parser().QuoteType.NoValue ? '' : attrValue);
      attrName = undefined;
    },
    onopentagend() {
      handler.open(tag, attrs, false);
    },
    onselfclosingtag() {
      handler.open(tag, attrs, true);
    },
    onclosetag(start, end) {
      handler.close(slice(start, end).toLowerCase());
    },
    ontext(start, end) {
      handler.text(slice(start, end));
    },
    ontextentity(codePoint) {
      handler.text(String.fromCodePoint(codePoint));
    },
    // Comments, CDATA, doctypes and processing instructions are not content.
    oncdata() {},
    oncomment() {},
    ondeclaration() {},
    onprocessinginstruction() {},
    onend() {},
  };
}

function tokenizer(html: string, handler: HtmlHandler, options: ScanOptions): Tokenizer {
  return new (parser().Tokenizer)({ decodeEntities: true }, callbacks(html, handler, options));
}

/** The whole page in one call: for small inputs (titles, snippets, search results); after loadHtmlParser(). */
export function scanHtml(html: string, handler: HtmlHandler, options: ScanOptions = {}): void {
  const scanner = tokenizer(html, handler, options);
  scanner.write(html);
  scanner.end();
}

/**
 * The page in slices of SCAN_SLICE_CHARS with a yield to the event loop after each; stops with
 * Cancelled when `signal` aborts. The tokenizer reports absolute offsets, so a tag or entity cut
 * by a slice boundary is read whole from `html`.
 */
export async function scanHtmlAsync(
  html: string,
  handler: HtmlHandler,
  options: ScanOptions & { signal?: AbortSignal; sliceChars?: number } = {},
): Promise<void> {
  await loadHtmlParser();
  const scanner = tokenizer(html, handler, options);
  const step = options.sliceChars ?? SCAN_SLICE_CHARS;
  for (let at = 0; at < html.length; at += step) {
    if (options.signal?.aborted) throw new Cancelled('HTML conversion cancelled');
    scanner.write(html.slice(at, at + step));
    if (at + step < html.length) await yieldToEventLoop();
  }
  scanner.end();
}
