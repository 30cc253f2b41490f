/**
 * The line a TOML syntax error is on, with a caret under the column, as the CLI prints it under
 * the error:
 *
 *     2 | model = gpt
 *       |         ^
 *
 * The file may be a cloned repository's (a megabyte-long line, terminal controls) and may hold
 * secrets: a long line is cut to a window around the column, controls are written out, and a line
 * that may hold a secret (holdsSecret) shows its key with the value masked. The caret is placed by
 * the columns a terminal gives what is shown before it (display-width.ts): a CJK character or an
 * emoji takes two, which counting characters put it short of.
 */
import { MASK, visibleLine } from '@oxydra/types';
import { displayWidth } from './display-width.js';
import { holdsSecret } from './toml-hints.js';

/** Characters of the line shown around the column, at most. */
const WINDOW = 80;
/** Of them, how many come before the column. */
const BEFORE = 50;

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
  const start = codePointStart(text, Math.max(0, Math.min(at - BEFORE, text.length - WINDOW)));
  const end = codePointStart(text, Math.min(text.length, start + WINDOW));
  const lead = start > 0 ? '…' : '';
  const shown = `${lead}${visibleLine(text.slice(start, end))}${end < text.length ? '…' : ''}`;
  // Written-out controls are longer than the character, and wide characters take two columns:
  // the caret counts the columns of what is shown before it.
  const caret = displayWidth(lead + visibleLine(text.slice(start, Math.min(at, end))));
  const number = String(line);
  return `${number} | ${shown}\n${' '.repeat(number.length)} | ${' '.repeat(caret)}^`;
}

/** `index`, or the one before it when it falls inside a surrogate pair: a window never shows half an emoji. */
function codePointStart(text: string, index: number): number {
  const unit = text.charCodeAt(index);
  return index > 0 && unit >= 0xdc00 && unit <= 0xdfff ? index - 1 : index;
}
