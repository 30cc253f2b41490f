/**
 * Where a streaming reply's finished Markdown ends. A top-level block (paragraph, list, code
 * fence, table...) is finished once the next one has begun on a complete line: nothing written
 * later can change it (a later line can turn the last paragraph into a heading or a table, or
 * add an item to the last list, which is why the last block stays open). Finished blocks go to
 * the terminal's scrollback once; only the open one is redrawn as deltas arrive.
 *
 * Only the block pass of markdown-it runs here (no inline parsing): linear in the text.
 */
import type { Token } from 'markdown-it';
import { markdownParser } from './parser.js';

/**
 * The length of the longest start of `text` made of finished top-level blocks (and the blank
 * lines after them): 0 when the first block is still open.
 */
export function finishedLength(text: string): number {
  const lastNewline = text.lastIndexOf('\n');
  if (lastNewline === -1) return 0;
  const complete = text.slice(0, lastNewline + 1);
  const md = markdownParser();
  const tokens: Token[] = [];
  md.block.parse(complete, md, {}, tokens);
  let lastStart = 0;
  for (const token of tokens)
    if (token.level === 0 && token.nesting !== -1 && token.map) lastStart = token.map[0];
  return lineOffset(complete, lastStart);
}

/** The index in `text` where line `line` (0-based) begins. */
function lineOffset(text: string, line: number): number {
  let offset = 0;
  for (let i = 0; i < line; i++) {
    const next = text.indexOf('\n', offset);
    if (next === -1) return text.length;
    offset = next + 1;
  }
  return offset;
}
