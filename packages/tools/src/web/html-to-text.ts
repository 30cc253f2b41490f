/**
 * A small HTML → markdown-ish text converter for web_fetch: headings, paragraphs, links as
 * [text](url), lists, code blocks, tables as `a | b` rows; scripts, styles, navigation and the
 * like dropped. It is a tokenizer, not a parser: good enough to let a model read a page, and
 * free of dependencies (a library such as node-html-markdown would do it better).
 */

const DROPPED = [
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
];
const DROPPED_RE = new RegExp(`<(${DROPPED.join('|')})\\b[^>]*>[\\s\\S]*?</\\1\\s*>`, 'gi');
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
const TAG_RE =
  /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*\/?>/g;

const NAMED: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  mdash: '—',
  ndash: '–',
  hellip: '…',
  copy: '©',
  reg: '®',
  trade: '™',
  laquo: '«',
  raquo: '»',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  bull: '•',
  middot: '·',
  times: '×',
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, code: string) => {
    if (code.startsWith('#')) {
      const n =
        code[1] === 'x' || code[1] === 'X' ? Number.parseInt(code.slice(2), 16) : Number(code.slice(1));
      return Number.isFinite(n) && n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : whole;
    }
    return NAMED[code.toLowerCase()] ?? whole;
  });
}

/** Tags removed and entities decoded, whitespace collapsed: for titles and snippets. */
export function plainText(html: string): string {
  return decodeEntities(html.replace(/<[^>]*>/g, ''))
    .replace(/\s+/g, ' ')
    .trim();
}

function attribute(attrs: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, 'i').exec(attrs);
  if (!match) return undefined;
  return decodeEntities(match[1] ?? match[2] ?? match[3] ?? '');
}

function absolute(href: string, base: string | undefined): string | undefined {
  if (href === '' || href.startsWith('#') || /^\s*javascript:/i.test(href)) return undefined;
  try {
    return base ? new URL(href, base).href : href;
  } catch {
    return href;
  }
}

interface List {
  ordered: boolean;
  count: number;
}

/** The page's `<title>`, if it has one. */
export function htmlTitle(html: string): string | undefined {
  const match = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html);
  const title = match ? plainText(match[1] ?? '') : '';
  return title === '' ? undefined : title;
}

export function htmlToText(html: string, baseUrl?: string): string {
  const source = html.replace(/<!--[\s\S]*?-->|<![^>]*>|<\?[^>]*>/g, '').replace(DROPPED_RE, '');
  let out = '';
  const lists: List[] = [];
  const links: { start: number; href: string | undefined }[] = [];
  let pre = 0;
  let last = 0;
  const block = (): void => {
    out = `${out.replace(/[ \t]+$/, '')}\n\n`;
  };
  const text = (raw: string): void => {
    if (pre > 0) {
      out += decodeEntities(raw);
      return;
    }
    const collapsed = decodeEntities(raw.replace(/\s+/g, ' '));
    out += /(^|\n)$/.test(out) || out.endsWith(' ') ? collapsed.replace(/^ /, '') : collapsed;
  };
  for (const match of source.matchAll(TAG_RE)) {
    text(source.slice(last, match.index));
    last = match.index + match[0].length;
    const closing = match[1] === '/';
    const tag = (match[2] ?? '').toLowerCase();
    const attrs = match[3] ?? '';
    if (pre > 0 && tag !== 'pre') continue; // markup inside a code block is not content
    if (/^h[1-6]$/.test(tag)) {
      block();
      if (!closing) out += `${'#'.repeat(Number(tag[1]))} `;
    } else if (BLOCKS.has(tag)) {
      block();
    } else if (tag === 'br') {
      out += '\n';
    } else if (tag === 'hr') {
      block();
      out += '---';
      block();
    } else if (tag === 'ul' || tag === 'ol') {
      if (closing) lists.pop();
      else lists.push({ ordered: tag === 'ol', count: 0 });
      if (lists.length === 0 || !closing) out = `${out.replace(/[ \t]+$/, '')}\n`;
      if (lists.length === 0) block();
    } else if (tag === 'li' && !closing) {
      const list = lists.at(-1);
      const indent = '  '.repeat(Math.max(0, lists.length - 1));
      const marker = list?.ordered ? `${++list.count}.` : '-';
      out = `${out.replace(/[ \t]+$/, '')}\n${indent}${marker} `;
    } else if (tag === 'pre') {
      if (closing) {
        pre = Math.max(0, pre - 1);
        out = `${out.replace(/\n+$/, '')}\n\`\`\``;
        block();
      } else {
        pre++;
        block();
        out += '```\n';
      }
    } else if (tag === 'code') {
      out += '`';
    } else if (tag === 'strong' || tag === 'b') {
      out += '**';
    } else if (tag === 'em' || tag === 'i') {
      out += '_';
    } else if (tag === 'tr') {
      out = `${out.replace(/[ \t]+$/, '')}\n`;
    } else if ((tag === 'td' || tag === 'th') && !closing) {
      if (!/(^|\n)$/.test(out)) out += ' | ';
    } else if (tag === 'a') {
      if (!closing) {
        links.push({ start: out.length, href: absolute(attribute(attrs, 'href') ?? '', baseUrl) });
      } else {
        const link = links.pop();
        if (link?.href !== undefined) {
          const label = out.slice(link.start).trim();
          out = `${out.slice(0, link.start)}${label === '' ? link.href : `[${label}](${link.href})`}`;
        }
      }
    } else if (tag === 'img' && !closing) {
      const alt = attribute(attrs, 'alt');
      if (alt) out += `[image: ${alt}]`;
    }
  }
  text(source.slice(last));
  return out
    .split('\n')
    .map((line) => line.replace(/\s+$/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
