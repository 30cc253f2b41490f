/**
 * Where a streaming reply's finished Markdown ends. A top-level block (paragraph, list, code
 * fence, table...) is finished once the next one has begun on a complete line: nothing written
 * later can change it (a later line can turn the last paragraph into a heading or a table, or
 * add an item to the last list, which is why the last block stays open). Finished blocks go to
 * the terminal's scrollback once; only the open one is redrawn as deltas arrive.
 *
 * Only the block pass of markdown-it runs here (no inline parsing): linear in the text. As the
 * open part is searched again when lines arrive, commitPoint keeps the total linear too: an open
 * code fence (the usual long block) is finished exactly by its closing line, so only new lines
 * are scanned for it; any other open block past SMALL_OPEN_PART is searched again only after it
 * has grown by a quarter.
 */
import type { Token } from 'markdown-it';
import { markdownParser } from './parser.js';

/**
 * The length of the longest start of `text` made of finished top-level blocks (and the blank
 * lines after them): 0 when the first block is still open.
 */
export function finishedLength(text: string): number {
  return search(text).done;
}

/** finishedLength, and the token of the block that is still open. */
function search(text: string): { done: number; open: Token | undefined } {
  const lastNewline = text.lastIndexOf('\n');
  if (lastNewline === -1) return { done: 0, open: undefined };
  const complete = text.slice(0, lastNewline + 1);
  const md = markdownParser();
  const tokens: Token[] = [];
  md.block.parse(complete, md, {}, tokens);
  let open: Token | undefined;
  for (const token of tokens) if (token.level === 0 && token.nesting !== -1 && token.map) open = token;
  return { done: lineOffset(complete, open?.map?.[0] ?? 0), open };
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

/** Up to this size the open part is searched at every new line. */
export const SMALL_OPEN_PART = 8_192;

/** What commitPoint remembers about the open part between calls. */
export interface OpenPart {
  /** The open part's length at its last full search. */
  searchedLength: number;
  /** The open block is a code fence opened by this marker (``` or ~~~...). */
  fence?: string;
  /** The index up to which lines were scanned for the fence's closing line. */
  scannedTo: number;
}

export const NEW_OPEN_PART: OpenPart = { searchedLength: 0, scannedTo: 0 };

/**
 * How much of the open part `text` is finished now (0: none), and what to remember for the
 * next call (made after more text arrived; text only ever grows between calls until a commit).
 */
export function commitPoint(text: string, open: OpenPart): { done: number; open: OpenPart } {
  if (open.fence !== undefined) return scanFence(text, open.fence, open.scannedTo);
  const grown = text.length - open.searchedLength;
  if (text.length > SMALL_OPEN_PART && grown * 4 < text.length) return { done: 0, open };
  const { done, open: block } = search(text);
  if (done > 0) return { done, open: NEW_OPEN_PART };
  if (block?.type === 'fence' && FENCE_MARKER.test(block.markup))
    return scanFence(text, block.markup, text.indexOf('\n') + 1);
  return { done: 0, open: { searchedLength: text.length, scannedTo: 0 } };
}

const FENCE_MARKER = /^(`{3,}|~{3,})$/;
const CLOSING_FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;

/** Look for the line closing `fence` in the complete lines from `from` on. */
function scanFence(text: string, fence: string, from: number): { done: number; open: OpenPart } {
  let at = from;
  for (;;) {
    const end = text.indexOf('\n', at);
    if (end === -1) break;
    const match = CLOSING_FENCE.exec(text.slice(at, end));
    if (match && match[1]![0] === fence[0] && match[1]!.length >= fence.length)
      return { done: end + 1, open: NEW_OPEN_PART };
    at = end + 1;
  }
  return { done: 0, open: { searchedLength: text.length, fence, scannedTo: at } };
}
