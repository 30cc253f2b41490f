/**
 * The open part of a streaming reply as it is drawn below the history: laid out as Markdown
 * (an unfinished fence or ** is simply what markdown-it makes of the text so far: the fence
 * runs to the end, the ** shows as typed until its partner arrives), cut to its last rows so
 * the redrawn area never outgrows the screen. Past LIVE_MARKDOWN_CHARS only the tail is shown,
 * as plain text, and an open code fence (the reducer knows when the open block is one) is drawn
 * from its last lines only: that keeps each redraw's cost bounded however long a block grows;
 * the block is laid out in full once, when it finishes and goes to the history.
 */
import { layoutMarkdown, plainLines, renderCode } from './layout.js';
import type { Line } from './lines.js';

export const LIVE_MARKDOWN_CHARS = 16_384;
const MORE_ABOVE: Line = [{ text: '⋯', style: { dim: true } }];

/** `fence`: the open part is a code fence still open (its first line opens it). */
export function layoutLive(text: string, width: number, maxRows: number, fence = false): Line[] {
  const rows = Math.max(2, Math.floor(maxRows));
  const firstBreak = text.indexOf('\n');
  if (fence && firstBreak !== -1) {
    const info = text.slice(0, firstBreak).replace(/^ *[`~]+/, '');
    const body = text.slice(firstBreak + 1);
    const shown = tail(body, rows, width);
    const [top = [], ...code] = renderCode(shown, info, width).slice(0, -1); // no bottom: still open
    const room = rows - 1 - (shown.length < body.length ? 1 : 0);
    const last = code.slice(Math.max(0, code.length - room));
    return [top, ...(shown.length < body.length || last.length < code.length ? [MORE_ABOVE] : []), ...last];
  }
  if (text.length > LIVE_MARKDOWN_CHARS)
    return [MORE_ABOVE, ...plainLines(tail(text, rows - 1, width), width).slice(1 - rows)];
  const lines = layoutMarkdown(text, width);
  if (lines.length <= rows) return lines;
  return [MORE_ABOVE, ...lines.slice(lines.length - rows + 1)];
}

/** At most the last `rows` source lines of `text`, and at most rows × width characters. */
function tail(text: string, rows: number, width: number): string {
  let start = text.length;
  for (let i = 0; i < rows && start > 0; i++) start = Math.max(0, text.lastIndexOf('\n', start - 1));
  if (text[start] === '\n') start++;
  return text.slice(Math.max(start, text.length - rows * Math.max(1, width)));
}
