/**
 * The line a TOML syntax error is on, with a caret under the column, as the CLI prints it under
 * the error:
 *
 *     2 | model = gpt
 *       |         ^
 *
 * The file may be a cloned repository's (a megabyte-long line, terminal controls) and may hold
 * secrets: a long line is cut to a window around the column, controls are written out, and a line
 * that may hold a secret (holdsSecret) shows its key with the value masked. The window and the
 * caret count the columns a terminal gives what is shown (display-width.ts): a CJK character or an
 * emoji takes two, so a window of characters was twice as wide on a line of them.
 */
import { MASK, visibleLine } from '@oxydra/types';
import { displayWidth, graphemes } from './display-width.js';
import { holdsSecret } from './toml-hints.js';

/** Terminal columns of the line shown around the column, at most. */
const WINDOW = 80;
/** Of them, how many come before the column. */
const BEFORE = 50;
/**
 * UTF-16 units looked at on each side of the column, at most: a window of clusters as long as a
 * cluster may be (combining marks, zero-width characters) still stays short, and a megabyte-long
 * line is never cut into clusters as a whole.
 */
const REACH = 8 * WINDOW;

export function tomlExcerpt(lines: readonly string[], line: number, column: number): string | undefined {
  const raw = lines[line - 1];
  // A blank line (the parser stopped at the start of the next one) shows nothing: the hint names the line.
  if (raw === undefined || raw.trim() === '') return undefined;
  // A tab is as wide as the terminal makes it: one space keeps the caret under its column.
  let text = raw.replaceAll('\t', ' ');
  let at = Math.max(column - 1, 0);
  if (holdsSecret(lines, line)) {
    const equals = text.indexOf('=');
    text = `${text.slice(0, equals + 1)} ${MASK}`;
    at = Math.min(at, equals + 2);
  }
  const { shown, caret } = columnWindow(text, at);
  const number = String(line);
  return `${number} | ${shown}\n${' '.repeat(number.length)} | ${' '.repeat(caret)}^`;
}

/** A grapheme cluster as shown (controls written out) and the columns that takes. */
interface Cell {
  shown: string;
  width: number;
}

/**
 * What of `text` is shown around UTF-16 index `at`: at most WINDOW columns, BEFORE of them before
 * it (more when the line ends sooner after it), whole clusters only, with "…" where it is cut;
 * and how many columns come before `at` there (where the caret goes).
 */
function columnWindow(text: string, at: number): { shown: string; caret: number } {
  const from = codePointStart(text, Math.max(0, at - REACH));
  const to = codePointStart(text, Math.min(text.length, at + REACH));
  const before: Cell[] = [];
  const after: Cell[] = [];
  let index = from;
  for (const cluster of graphemes(text.slice(from, to))) {
    const shown = visibleLine(cluster);
    (index < at ? before : after).push({ shown, width: displayWidth(shown) });
    index += cluster.length;
  }
  const right = take(after, WINDOW - take(before, BEFORE, true).width, false);
  const left = take(before, WINDOW - right.width, true);
  const lead = left.count < before.length || from > 0 ? '…' : '';
  const tail = right.count < after.length || to < text.length ? '…' : '';
  const shownBefore = before.slice(before.length - left.count).map((cell) => cell.shown);
  const shownAfter = after.slice(0, right.count).map((cell) => cell.shown);
  return {
    shown: `${lead}${shownBefore.join('')}${shownAfter.join('')}${tail}`,
    caret: displayWidth(lead) + left.width,
  };
}

/** How many cells (from the end when `fromEnd`) fit in `columns`, and their width. */
function take(cells: readonly Cell[], columns: number, fromEnd: boolean): { count: number; width: number } {
  let count = 0;
  let width = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[fromEnd ? cells.length - 1 - i : i]!;
    if (width + cell.width > columns) break;
    width += cell.width;
    count++;
  }
  return { count, width };
}

/** `index`, or the one before it when it falls inside a surrogate pair: a window never shows half an emoji. */
function codePointStart(text: string, index: number): number {
  const unit = text.charCodeAt(index);
  return index > 0 && unit >= 0xdc00 && unit <= 0xdfff ? index - 1 : index;
}
