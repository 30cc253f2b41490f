/**
 * Styled terminal lines: what the Markdown layout produces and the Ink component draws. Widths
 * are terminal columns (string-width, the measure Ink uses), so CJK and emoji count as two.
 * The wrapping here is linear in the text: each word is measured once, a word longer than the
 * line is cut by grapheme (by plain arithmetic when it is ASCII).
 */
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
let segmenter: Intl.Segmenter | undefined;

/** Terminal columns of `text` (which holds no control characters). */
export function textWidth(text: string): number {
  return PRINTABLE_ASCII.test(text) ? text.length : stringWidth(text);
}

export function lineWidth(line: Line): number {
  let width = 0;
  for (const span of line) width += textWidth(span.text);
  return width;
}

export function sameStyle(a: Style, b: Style): boolean {
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

/** `text` cut into pieces of at most `width` columns (at least one grapheme each). */
export function cutToWidth(text: string, width: number): string[] {
  const max = Math.max(1, width);
  if (PRINTABLE_ASCII.test(text)) {
    const pieces: string[] = [];
    for (let at = 0; at < text.length; at += max) pieces.push(text.slice(at, at + max));
    return pieces.length > 0 ? pieces : [''];
  }
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const pieces: string[] = [];
  let piece = '';
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const w = textWidth(segment);
    if (used + w > max && piece !== '') {
      pieces.push(piece);
      piece = '';
      used = 0;
    }
    piece += segment;
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
  const [first = ''] = cutToWidth(text, width);
  // cutToWidth puts at least one grapheme in a piece; a wide one may not fit an odd column.
  if (textWidth(first) > width) return ['', text];
  return [first, text.slice(first.length)];
}
