/**
 * A small HTML → markdown-ish text converter for web_fetch: headings, paragraphs, links as
 * [text](url), lists, code blocks, tables as `a | b` rows; scripts, styles, navigation and the
 * like dropped. Pages are untrusted, so every step is linear in the page: html-scan tokenizes
 * without an element stack, TextWriter only ever touches the end of the output, and the state
 * kept here is a few counters (no tree).
 */
import { type HtmlHandler, scanHtml, scanHtmlAsync } from './html-scan.js';
import { TextWriter } from './text-writer.js';

/** Elements whose content is not text for the reader. */
const DROPPED = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'nav',
  'iframe',
  'canvas',
  'head',
  'select',
]);
const BLOCKS = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'header',
  'footer',
  'aside',
  'figure',
  'figcaption',
  'blockquote',
  'table',
  'form',
  'fieldset',
  'dl',
  'dt',
  'dd',
  'address',
  'details',
  'summary',
  'body',
]);
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
const WANTED_ATTRIBUTES: ReadonlySet<string> = new Set(['href', 'alt']);

/**
 * A second guard behind web_fetch's 5 MiB download cap, for any other caller: the conversion is
 * linear, but a page is not worth more than this many characters of work.
 */
export const MAX_HTML_CHARS = 5 * 1024 * 1024;
/**
 * The most text a page converts to, as many characters as the HTML read (its readers show
 * 12,000-50,000 of them). Output is not bounded by input (TextWriter): without this cap, 300 KB
 * of nested lists asked for gigabytes and took the process down.
 */
export const MAX_TEXT_CHARS = 5 * 1024 * 1024;
/** A title longer than this is not a title. */
const MAX_TITLE_CHARS = 1_000;

/** HTML whitespace runs become one space; a no-break space reads as a space. */
export const collapseWhitespace = (text: string): string =>
  text.replace(/[ \t\n\r\f]+/g, ' ').replace(/\u00a0/g, ' ');

function absolute(href: string, base: string | undefined): string | undefined {
  if (href === '' || href.startsWith('#') || /^\s*javascript:/i.test(href)) return undefined;
  try {
    return base ? new URL(href, base).href : href;
  } catch {
    return href;
  }
}

export interface HtmlPage {
  /** The first `<title>`, if it has text. */
  title?: string;
  text: string;
  /** The text reached MAX_TEXT_CHARS: the page goes on past it. */
  cut?: true;
}

/** Turns scan events into text; `result()` once the scan has ended. */
class Converter implements HtmlHandler {
  readonly #out = new TextWriter(MAX_TEXT_CHARS);
  readonly #lists: { ordered: boolean; count: number }[] = [];
  /** Open dropped elements by name; content is skipped while any is open. */
  readonly #dropped = new Map<string, number>();
  #droppedOpen = 0;
  #pre = 0;
  #href: string | undefined;
  #title: string | undefined;
  #inTitle = false;
  #titleDone = false;

  constructor(readonly baseUrl: string | undefined) {}

  open(tag: string, attrs: ReadonlyMap<string, string>, selfClosing: boolean): void {
    // A full text takes nothing more: the rest of the page is only scanned, not converted.
    if (this.#out.full) return;
    // A title is not body text; the first one is the page's.
    if (tag === 'title') {
      this.#inTitle = true;
      return;
    }
    // <body> ends an unclosed <head>, as in a browser.
    if (tag === 'body') this.#undrop('head', Number.POSITIVE_INFINITY);
    if (DROPPED.has(tag)) {
      if (!selfClosing) {
        this.#dropped.set(tag, (this.#dropped.get(tag) ?? 0) + 1);
        this.#droppedOpen++;
      }
      return;
    }
    if (this.#droppedOpen > 0 || (this.#pre > 0 && tag !== 'pre')) return;
    this.#tag(tag, false, attrs);
  }

  close(tag: string): void {
    if (this.#out.full) return;
    if (tag === 'title' && this.#inTitle) {
      this.#inTitle = false;
      this.#titleDone ||= this.#title !== undefined;
      return;
    }
    if (DROPPED.has(tag)) {
      this.#undrop(tag, 1);
      return;
    }
    // Markup inside a code block is not content.
    if (this.#droppedOpen > 0 || (this.#pre > 0 && tag !== 'pre')) return;
    this.#tag(tag, true, new Map());
  }

  text(raw: string): void {
    if (this.#inTitle) {
      const title = this.#title ?? '';
      if (!this.#titleDone && title.length < MAX_TITLE_CHARS)
        this.#title = title + raw.slice(0, MAX_TITLE_CHARS);
      return;
    }
    const out = this.#out;
    if (this.#droppedOpen > 0 || out.full) return;
    if (this.#pre > 0) {
      out.write(raw);
      return;
    }
    const collapsed = collapseWhitespace(raw);
    out.write(out.atLineStart || out.lastChar === ' ' ? collapsed.replace(/^ /, '') : collapsed);
  }

  result(): HtmlPage {
    // A link still open at the end runs to the end, as in a browser.
    if (this.#out.capturing) this.#endLink();
    const title = collapseWhitespace(this.#title ?? '').trim();
    const page: HtmlPage = { text: this.#out.finish() };
    if (title !== '') page.title = title;
    if (this.#out.full) page.cut = true;
    return page;
  }

  #undrop(tag: string, count: number): void {
    const open = this.#dropped.get(tag) ?? 0;
    const closed = Math.min(open, count);
    if (closed === 0) return;
    this.#dropped.set(tag, open - closed);
    this.#droppedOpen -= closed;
  }

  #block(): void {
    this.#out.trimSpaces();
    // A run of blocks (a thousand nested <div>s) leaves one blank line, not a thousand.
    if (!this.#out.atBlockStart) this.#out.write('\n\n');
  }

  #newline(): void {
    this.#out.trimSpaces();
    this.#out.write('\n');
  }

  #tag(tag: string, closing: boolean, attrs: ReadonlyMap<string, string>): void {
    const out = this.#out;
    if (HEADINGS.has(tag)) {
      this.#block();
      if (!closing) out.write(`${'#'.repeat(Number(tag[1]))} `);
    } else if (BLOCKS.has(tag)) {
      this.#block();
    } else if (tag === 'br') {
      out.write('\n');
    } else if (tag === 'hr') {
      this.#block();
      out.write('---');
      this.#block();
    } else if (tag === 'ul' || tag === 'ol') {
      if (closing) this.#lists.pop();
      else this.#lists.push({ ordered: tag === 'ol', count: 0 });
      if (this.#lists.length === 0 || !closing) this.#newline();
      if (this.#lists.length === 0) this.#block();
    } else if (tag === 'li' && !closing) {
      const list = this.#lists.at(-1);
      const indent = '  '.repeat(Math.max(0, this.#lists.length - 1));
      const marker = list?.ordered ? `${++list.count}.` : '-';
      this.#newline();
      out.write(`${indent}${marker} `);
    } else if (tag === 'pre') {
      if (closing) {
        if (this.#pre === 0) return;
        this.#pre--;
        out.trimNewlines();
        out.write('\n```');
        this.#block();
      } else {
        this.#pre++;
        this.#block();
        out.write('```\n');
      }
    } else if (tag === 'code') {
      out.write('`');
    } else if (tag === 'strong' || tag === 'b') {
      out.write('**');
    } else if (tag === 'em' || tag === 'i') {
      out.write('_');
    } else if (tag === 'tr') {
      this.#newline();
    } else if ((tag === 'td' || tag === 'th') && !closing) {
      if (!out.atLineStart) out.write(' | ');
    } else if (tag === 'a') {
      // Links do not nest: a new one ends the open one, as in a browser. One label is collected
      // at a time, so every character is gathered into a label at most once.
      if (out.capturing) this.#endLink();
      if (!closing) {
        this.#href = absolute(attrs.get('href') ?? '', this.baseUrl);
        out.startCapture();
      }
    } else if (tag === 'img' && !closing) {
      const alt = attrs.get('alt');
      if (alt) out.write(`[image: ${alt}]`);
    }
  }

  #endLink(): void {
    const label = this.#out.endCapture();
    const href = this.#href;
    this.#href = undefined;
    if (href === undefined) {
      this.#out.write(label);
      return;
    }
    const trimmed = label.trim();
    this.#out.write(trimmed === '' ? href : `[${trimmed}](${href})`);
  }
}

const bounded = (html: string): string =>
  html.length > MAX_HTML_CHARS ? html.slice(0, MAX_HTML_CHARS) : html;

/** Title and text of a page, in one pass. */
export function htmlToPage(html: string, baseUrl?: string): HtmlPage {
  const converter = new Converter(baseUrl);
  scanHtml(bounded(html), converter, { wantedAttributes: WANTED_ATTRIBUTES });
  return converter.result();
}

/** As htmlToPage, yielding to the event loop between slices of the page (web_fetch). */
export async function htmlToPageAsync(
  html: string,
  baseUrl: string | undefined,
  signal?: AbortSignal,
): Promise<HtmlPage> {
  const converter = new Converter(baseUrl);
  await scanHtmlAsync(bounded(html), converter, { wantedAttributes: WANTED_ATTRIBUTES, signal });
  return converter.result();
}

export function htmlToText(html: string, baseUrl?: string): string {
  return htmlToPage(html, baseUrl).text;
}

/** Tags removed and entities decoded, whitespace collapsed: for titles and snippets. */
export function plainText(html: string): string {
  const pieces: string[] = [];
  scanHtml(bounded(html), { open() {}, close() {}, text: (text) => pieces.push(text) });
  return collapseWhitespace(pieces.join('')).trim();
}
