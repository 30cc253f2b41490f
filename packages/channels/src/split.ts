/**
 * Splits an answer into messages a platform accepts (Telegram: 4,096 characters each), at the
 * largest boundary that fits: a paragraph, else a line, else a space, else anywhere. A cut
 * inside a ``` code block closes the block at the end of one part and opens it again at the
 * start of the next, so each part renders on its own.
 */

const FENCE = '```';
/** Room kept for closing and reopening a code fence around a cut. */
const FENCE_ROOM = 8;

export function splitMessage(text: string, max: number): string[] {
  if (max < 2 * FENCE_ROOM) throw new RangeError(`max must be at least ${2 * FENCE_ROOM}, got ${max}`);
  if (text.length <= max) return [text];
  const parts: string[] = [];
  let rest = text;
  let reopen = '';
  while (reopen.length + rest.length > max) {
    const room = max - FENCE_ROOM - reopen.length;
    const cut = cutAt(rest, room);
    let part = reopen + rest.slice(0, cut).trimEnd();
    rest = rest.slice(cut).replace(/^\n+/, '');
    reopen = '';
    if (openFence(part)) {
      part += `\n${FENCE}`;
      reopen = `${FENCE}\n`;
    }
    // A run of blanks longer than a part cuts to nothing: platforms refuse an empty message.
    if (part.trim() !== '') parts.push(part);
  }
  if (rest.trim() !== '' || parts.length === 0) parts.push(reopen + rest);
  return parts;
}

/** Where to cut `text` so the first piece has at most `room` characters. */
function cutAt(text: string, room: number): number {
  const window = text.slice(0, room + 1);
  for (const boundary of ['\n\n', '\n', ' ']) {
    const at = window.lastIndexOf(boundary);
    // A boundary in the first quarter would make tiny parts; cut harder instead.
    if (at > room / 4) return at;
  }
  // No boundary: cut anywhere, but not between the two halves of a surrogate pair.
  const code = text.charCodeAt(room - 1);
  return code >= 0xd800 && code <= 0xdbff ? room - 1 : room;
}

/** Whether `part` ends inside a code block (an odd number of fence lines). */
function openFence(part: string): boolean {
  let open = false;
  for (const line of part.split('\n')) if (line.trimStart().startsWith(FENCE)) open = !open;
  return open;
}
