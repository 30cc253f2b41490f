/**
 * Styled terminal lines: what the Markdown layout produces and the Ink component draws. Widths
 * are terminal columns, so CJK and emoji count as two. Short words are measured with
 * string-width (the measure Ink uses, by grapheme cluster); long runs (a CJK paragraph has no
 * spaces, hostile text may have none) by code point with the same East Asian Width table, zero
 * for combining marks and joiners: string-width costs a grapheme segmentation and an emoji
 * pattern per cluster, far too slow for 100,000 characters. The two differ only on emoji
 * sequences (a family emoji counts 2 by cluster, more by code point) inside very long words.
 * The wrapping is linear in the text: each word is measured once, a word longer than the line
 * is cut by code point (by plain arithmetic when it is ASCII).
 */
import { eastAsianWidth } from 'get-east-asian-width';
import stringWidth from 'string-width';

export interface Style {
  readonly bold?: boolean;
  readonly italic?: boolean;
  readonly underline?: boolean;
  readonly strikethrough?: boolean;
  readonly dim?: boolean;
  readonly color?: 'green' | 'blue' | 'gray';
}

export interface Span {
  readonly text: string;
  readonly style: Style;
}

/** One terminal row; an empty array is a blank row. */
export type Line = Span[];

export const PLAIN: Style = {};

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** Up to this length a non-ASCII word is measured by grapheme cluster (string-width). */
const CLUSTER_MEASURE_CHARS = 32;
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

/** Terminal columns of `text` (which holds no control characters). */
export function textWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  if (text.length <= CLUSTER_MEASURE_CHARS) return clusterWidth(text);
  let width = 0;
  for (const char of text) width += charWidth(char);
  return width;
}

/** string-width, remembered: a reply repeats its bullets, rules and words. */
const clusterWidths = new Map<string, number>();
const CLUSTER_CACHE_ENTRIES = 4_096;

function clusterWidth(text: string): number {
  let width = clusterWidths.get(text);
  if (width === undefined) {
    if (clusterWidths.size >= CLUSTER_CACHE_ENTRIES) clusterWidths.clear();
    width = stringWidth(text);
    clusterWidths.set(text, width);
  }
  return width;
}

function charWidth(char: string): number {
  const code = char.codePointAt(0)!;
  if (code < 0x300) return 1;
  if (ZERO_WIDTH.test(char)) return 0;
  return eastAsianWidth(code, { ambiguousAsWide: false });
}

export function lineWidth(line: Line): number {
  let width = 0;
  for (const span of line) width += textWidth(span.text);
  return width;
}

function sameStyle(a: Style, b: Style): boolean {
  return (
    a === b ||
    (a.bold === b.bold &&
      a.italic === b.italic &&
      a.underline === b.underline &&
      a.strikethrough === b.strikethrough &&
      a.dim === b.dim &&
      a.color === b.color)
  );
}

/** `text` cut into pieces of at most `width` columns (at least one character each). */
export function cutToWidth(text: string, width: number): string[] {
  const max = Math.max(1, width);
  if (PRINTABLE_ASCII.test(text)) {
    const pieces: string[] = [];
    for (let at = 0; at < text.length; at += max) pieces.push(text.slice(at, at + max));
    return pieces.length > 0 ? pieces : [''];
  }
  const pieces: string[] = [];
  let piece = '';
  let used = 0;
  for (const char of text) {
    // A zero-width character (combining mark, joiner) stays with the one before it.
    const w = charWidth(char);
    if (used + w > max && piece !== '' && w > 0) {
      pieces.push(piece);
      piece = '';
      used = 0;
    }
    piece += char;
    used += w;
  }
  pieces.push(piece);
  return pieces;
}

/** Builds lines span by span, merging neighbours of the same style. */
class LineBuilder {
  readonly lines: Line[] = [];
  line: Line = [];
  used = 0;

  add(text: string, style: Style, width: number): void {
    const last = this.line[this.line.length - 1];
    if (last && sameStyle(last.style, style))
      this.line[this.line.length - 1] = { text: last.text + text, style };
    else this.line.push({ text, style });
    this.used += width;
  }

  /** End the row; trailing spaces of a wrapped row are dropped. */
  break(trimEnd: boolean): void {
    if (trimEnd) {
      const last = this.line[this.line.length - 1];
      if (last && /\s$/.test(last.text)) {
        const text = last.text.trimEnd();
        if (text === '') this.line.pop();
        else this.line[this.line.length - 1] = { text, style: last.style };
      }
    }
    this.lines.push(this.line);
    this.line = [];
    this.used = 0;
  }
}

/**
 * Word-wrap spans to `width` columns. A '\n' in a span's text is a line break; spaces at the
 * start of a row made by wrapping are dropped, those after an explicit break kept.
 */
export function wrapSpans(spans: readonly Span[], width: number): Line[] {
  const max = Math.max(1, width);
  const out = new LineBuilder();
  let wrapped = false;
  for (const span of spans) {
    const parts = span.text.split('\n');
    for (let p = 0; p < parts.length; p++) {
      if (p > 0) {
        out.break(true);
        wrapped = false;
      }
      for (const atom of parts[p]!.match(/\s+|\S+/g) ?? []) {
        const w = textWidth(atom);
        if (/^\s/.test(atom)) {
          if (out.used === 0 && wrapped) continue;
          if (out.used + w > max) {
            out.break(true);
            wrapped = true;
            continue;
          }
          out.add(atom, span.style, w);
          continue;
        }
        if (out.used + w <= max) {
          out.add(atom, span.style, w);
          continue;
        }
        if (w <= max) {
          out.break(true);
          wrapped = true;
          out.add(atom, span.style, w);
          continue;
        }
        // Longer than a row: fill the rest of this row, then whole rows.
        const room = max - out.used;
        const [head, rest] = room > 0 ? splitAtWidth(atom, room) : ['', atom];
        if (head !== '') out.add(head, span.style, textWidth(head));
        for (const piece of rest === '' ? [] : cutToWidth(rest, max)) {
          if (out.used > 0) {
            out.break(false);
            wrapped = true;
          }
          out.add(piece, span.style, textWidth(piece));
        }
      }
    }
  }
  out.break(true);
  return out.lines;
}

/** The longest start of `text` that fits `width` columns, and the rest. */
function splitAtWidth(text: string, width: number): [string, string] {
  if (PRINTABLE_ASCII.test(text)) return [text.slice(0, width), text.slice(width)];
  let used = 0;
  let end = 0;
  for (const char of text) {
    const w = charWidth(char);
    if (used + w > width) break;
    used += w;
    end += char.length;
  }
  return [text.slice(0, end), text.slice(end)];
}
