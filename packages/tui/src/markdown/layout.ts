/**
 * Markdown to styled terminal lines, from markdown-it's token stream: headings bold, emphasis
 * and code styled, code blocks in a dim frame, lists with hanging indents, block quotes behind
 * a bar, links as "text (url)", tables aligned when they fit the width (plain rows when not),
 * rules across the width. The text is made terminal-safe first (sanitize.ts) and every span
 * checked again at the end (an entity or a decoded URL could hold a control).
 *
 * Cost: markdown-it is linear in practice; the layout walks each token once, and each nesting
 * level re-prefixes its lines (depth is capped by markdown-it's nesting limit). Indentation
 * stops growing once the text would get narrower than MIN_TEXT_WIDTH, so deep nesting cannot
 * squeeze the text into a one-column ribbon.
 */
import type { Token } from 'markdown-it';
import {
  cutToWidth,
  type Line,
  lineWidth,
  PLAIN,
  type Span,
  type Style,
  textWidth,
  wrapSpans,
} from './lines.js';
import { markdownParser } from './parser.js';
import { hasControls, terminalSafe } from './sanitize.js';

/** Above this many characters a message is shown as wrapped plain text (no Markdown pass). */
export const MAX_MARKDOWN_CHARS = 500_000;
const MIN_TEXT_WIDTH = 16;
const BULLETS = ['•', '◦', '▪'] as const;
const DIM: Style = { dim: true };
const CODE: Style = { color: 'green' };

interface Node {
  token: Token;
  children: Node[];
}

/** `markdown` laid out in rows of at most `width` columns (wider only when width < 16). */
export function layoutMarkdown(markdown: string, width: number): Line[] {
  const text = terminalSafe(markdown);
  const columns = Math.max(1, Math.floor(width));
  if (text.length > MAX_MARKDOWN_CHARS) return plainLines(text, columns);
  const tokens = markdownParser().parse(text, {});
  return renderBlocks(tree(tokens), columns, 0).map(safeLine);
}

/** Text as rows without Markdown: what an oversized or unfinished part shows. */
export function plainLines(text: string, width: number): Line[] {
  return wrapSpans([{ text: terminalSafe(text), style: PLAIN }], width);
}

/** Nest the flat token stream: an *_open token's children are the tokens up to its *_close. */
function tree(tokens: readonly Token[]): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  for (const token of tokens) {
    if (token.nesting === -1) {
      if (stack.length > 1) stack.pop();
      continue;
    }
    const node: Node = { token, children: [] };
    stack[stack.length - 1]!.push(node);
    if (token.nesting === 1) stack.push(node.children);
  }
  return root;
}

function isTightParagraph(node: Node): boolean {
  return node.token.type === 'paragraph_open' && node.token.hidden;
}

/** Sibling blocks, a blank row between them (not around the paragraphs of a tight list). */
function renderBlocks(nodes: readonly Node[], width: number, lists: number): Line[] {
  const out: Line[] = [];
  let previous: Node | undefined;
  for (const node of nodes) {
    const lines = renderBlock(node, width, lists);
    if (lines.length === 0) continue;
    if (previous && !isTightParagraph(previous) && !isTightParagraph(node)) out.push([]);
    for (const line of lines) out.push(line);
    previous = node;
  }
  return out;
}

function renderBlock(node: Node, width: number, lists: number): Line[] {
  const { token } = node;
  switch (token.type) {
    case 'paragraph_open':
      return wrapSpans(inlineOf(node, PLAIN), width);
    case 'heading_open': {
      const style: Style = token.tag === 'h1' ? { bold: true, underline: true } : { bold: true };
      return wrapSpans(inlineOf(node, style), width);
    }
    case 'bullet_list_open':
    case 'ordered_list_open':
      return renderList(node, width, lists);
    case 'blockquote_open': {
      const bar: Span = { text: '│ ', style: DIM };
      if (width - 2 < MIN_TEXT_WIDTH) return renderBlocks(node.children, width, lists);
      return prefixed(renderBlocks(node.children, width - 2, lists), [bar], [bar]);
    }
    case 'fence':
    case 'code_block':
      return renderCode(token.content, token.info, width);
    case 'hr':
      return [[{ text: '─'.repeat(width), style: DIM }]];
    case 'table_open':
      return renderTable(node, width);
    case 'inline':
      return wrapSpans(inlineSpans(token.children ?? [], PLAIN), width);
    default:
      // html_block cannot occur (HTML is off); anything else shows its text rather than vanish.
      if (token.content) return plainLines(token.content, width);
      return renderBlocks(node.children, width, lists);
  }
}

/** The spans of a block's inline child (a paragraph's or heading's text). */
function inlineOf(node: Node, base: Style): Span[] {
  const inline = node.children.find((child) => child.token.type === 'inline');
  return inline ? inlineSpans(inline.token.children ?? [], base) : [];
}

function renderList(node: Node, width: number, lists: number): Line[] {
  const ordered = node.token.type === 'ordered_list_open';
  const items = node.children.filter((child) => child.token.type === 'list_item_open');
  const start = ordered ? Number(node.token.attrGet('start') ?? 1) : 1;
  const markers = items.map((item, index) =>
    ordered ? `${start + index}${item.token.markup || '.'}` : BULLETS[lists % BULLETS.length]!,
  );
  let markerWidth = 0;
  for (const marker of markers) markerWidth = Math.max(markerWidth, textWidth(marker));
  markerWidth += 1;
  const indent = width - markerWidth >= MIN_TEXT_WIDTH ? markerWidth : 0;
  const loose = items.some((item) =>
    item.children.some((child) => child.token.type === 'paragraph_open' && !child.token.hidden),
  );
  const out: Line[] = [];
  items.forEach((item, index) => {
    if (index > 0 && loose) out.push([]);
    const body = renderBlocks(item.children, width - indent, lists + 1);
    const marker: Span = { text: markers[index]!.padEnd(markerWidth), style: ordered ? PLAIN : DIM };
    const hang: Span[] = indent > 0 ? [{ text: ' '.repeat(indent), style: PLAIN }] : [];
    for (const line of prefixed(body.length > 0 ? body : [[]], [marker], hang)) out.push(line);
  });
  return out;
}

/** The lines with `first` in front of the first and `rest` in front of the others. */
function prefixed(lines: readonly Line[], first: Span[], rest: Span[]): Line[] {
  return lines.map((line, index) => [...(index === 0 ? first : rest), ...line]);
}

/** A code block in a dim frame, its lines cut (not word-wrapped) to the width: indentation is meaning. */
export function renderCode(code: string, info: string, width: number): Line[] {
  const language = terminalSafe(info).trim().split(/\s+/)[0] ?? '';
  const indent = width - 4 >= MIN_TEXT_WIDTH ? '  ' : '';
  const gutter: Span = { text: `${indent}│ `, style: DIM };
  const content = terminalSafe(code);
  const inner = Math.max(1, width - textWidth(gutter.text));
  const out: Line[] = [[{ text: `${indent}┌─${language ? ` ${language}` : ''}`, style: DIM }]];
  for (const source of content.replace(/\n$/, '').split('\n')) {
    for (const piece of source === '' ? [''] : cutToWidth(source, inner))
      out.push(piece === '' ? [gutter] : [gutter, { text: piece, style: CODE }]);
  }
  out.push([{ text: `${indent}└─`, style: DIM }]);
  return out;
}

type Align = 'left' | 'right' | 'center';

/** A table aligned in columns when it fits the width; otherwise each row as a wrapped line. */
function renderTable(node: Node, width: number): Line[] {
  const rows: { header: boolean; cells: Span[][] }[] = [];
  const aligns: Align[] = [];
  const walk = (nodes: readonly Node[], header: boolean) => {
    for (const child of nodes) {
      const { type } = child.token;
      if (type === 'thead_open' || type === 'tbody_open') walk(child.children, type === 'thead_open');
      else if (type === 'tr_open') {
        const cells = child.children.filter(
          (cell) => cell.token.type === 'th_open' || cell.token.type === 'td_open',
        );
        if (rows.length === 0) for (const cell of cells) aligns.push(alignOf(cell.token.attrGet('style')));
        rows.push({
          header,
          cells: cells.map((cell) =>
            inlineOf(cell, header ? { bold: true } : PLAIN).map((span) => ({
              text: span.text.replace(/\n/g, ' '),
              style: span.style,
            })),
          ),
        });
      }
    }
  };
  walk(node.children, false);
  // Loops, not Math.max(...spread): a table may have more rows than a call has arguments.
  const widths: number[] = [];
  for (const row of rows)
    row.cells.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, lineWidth(cell));
    });
  const columns = widths.length;
  const separator: Span = { text: ' │ ', style: DIM };
  const total = widths.reduce((sum, w) => sum + w, 0) + separator.text.length * Math.max(0, columns - 1);

  if (total > width) {
    // Too wide to align: each row as one wrapped line, its cells split by the same bar.
    return rows.flatMap((row) => wrapSpans(joinCells(row.cells, separator), width));
  }
  const out: Line[] = [];
  for (const row of rows) {
    const line: Line = [];
    for (let i = 0; i < columns; i++) {
      if (i > 0) line.push(separator);
      const cell = row.cells[i] ?? [];
      const room = widths[i]! - lineWidth(cell);
      const align = aligns[i] ?? 'left';
      const before = align === 'right' ? room : align === 'center' ? Math.floor(room / 2) : 0;
      const after = i === columns - 1 ? 0 : room - before; // no trailing blanks
      if (before > 0) line.push({ text: ' '.repeat(before), style: PLAIN });
      for (const span of cell) line.push(span);
      if (after > 0) line.push({ text: ' '.repeat(after), style: PLAIN });
    }
    out.push(line);
    if (row.header) out.push([{ text: widths.map((w) => '─'.repeat(w)).join('─┼─'), style: DIM }]);
  }
  return out;
}

function alignOf(style: string | null): Align {
  const match = /text-align:(left|right|center)/.exec(style ?? '');
  return (match?.[1] as Align | undefined) ?? 'left';
}

function joinCells(cells: readonly Span[][], separator: Span): Span[] {
  const out: Span[] = [];
  cells.forEach((cell, i) => {
    if (i > 0) out.push(separator);
    for (const span of cell) out.push(span);
  });
  return out;
}

/** Inline tokens to spans: emphasis, code, links "text (url)", images "[image: alt] (url)". */
function inlineSpans(tokens: readonly Token[], base: Style): Span[] {
  const md = markdownParser();
  const spans: Span[] = [];
  const styles: Style[] = [];
  const links: { href: string; markup: string; start: number }[] = [];
  let style = base;
  const open = (extra: Style) => {
    styles.push(style);
    style = { ...style, ...extra };
  };
  const close = () => {
    style = styles.pop() ?? base;
  };
  for (const token of tokens) {
    switch (token.type) {
      case 'text':
        spans.push({ text: token.content, style });
        break;
      case 'code_inline':
        spans.push({ text: token.content, style: { ...style, ...CODE } });
        break;
      case 'softbreak':
      case 'hardbreak':
        spans.push({ text: '\n', style });
        break;
      case 'strong_open':
        open({ bold: true });
        break;
      case 'em_open':
        open({ italic: true });
        break;
      case 's_open':
        open({ strikethrough: true });
        break;
      case 'link_open':
        links.push({
          href: displayUrl(md, token.attrGet('href') ?? ''),
          markup: token.markup,
          start: spans.length,
        });
        open({ underline: true, color: 'blue' });
        break;
      case 'link_close': {
        close();
        const link = links.pop();
        if (!link || link.markup === 'linkify' || link.markup === 'autolink') break;
        const label = spans
          .slice(link.start)
          .map((span) => span.text)
          .join('');
        if (label !== link.href) spans.push({ text: ` (${link.href})`, style: { ...style, dim: true } });
        break;
      }
      case 'image': {
        const src = displayUrl(md, token.attrGet('src') ?? '');
        spans.push({
          text: `[image: ${token.content || 'no description'}]`,
          style: { ...style, italic: true },
        });
        if (src) spans.push({ text: ` (${src})`, style: { ...style, dim: true } });
        break;
      }
      case 'strong_close':
      case 'em_close':
      case 's_close':
        close();
        break;
      default:
        if (token.content) spans.push({ text: token.content, style });
    }
  }
  return spans;
}

/** A link target as a person reads it (percent-escapes decoded); controls are removed later. */
function displayUrl(md: ReturnType<typeof markdownParser>, href: string): string {
  try {
    return md.normalizeLinkText(href);
  } catch {
    return href;
  }
}

/** The last guard: no span leaves with a control character in it. */
function safeLine(line: Line): Line {
  return line.some((span) => hasControls(span.text))
    ? line.map((span) => ({ text: terminalSafe(span.text).replace(/\n/g, ' '), style: span.style }))
    : line;
}
