/** file_read's code (its definition is in catalog.ts): a page of lines at a time of a large file. */
import { utf8Prefix } from '@oxydra/sandbox/detect';
import type { ToolRun } from '../define.js';
import { readTextFile } from '../fs/anchored.js';
import { type PathPolicy, resolveWorkspacePath } from '../paths.js';
import type { FileReadArgs } from './parameters.js';

interface Page {
  lines: string[];
  /** The one line shown was longer than the byte cap and is cut. */
  cut: boolean;
}

/** As many lines from `start` as fit in `count` lines and `maxBytes` bytes; always at least one. */
function takePage(lines: readonly string[], start: number, count: number, maxBytes: number): Page {
  const taken: string[] = [];
  let bytes = 0;
  for (let i = start; i < lines.length && taken.length < count; i++) {
    const line = lines[i] ?? '';
    const size = Buffer.byteLength(line, 'utf8') + 1;
    if (bytes + size > maxBytes) {
      if (taken.length > 0) break;
      // A single line over the cap (minified code): show its start rather than nothing.
      return { lines: [utf8Prefix(Buffer.from(line, 'utf8'), maxBytes).toString('utf8')], cut: true };
    }
    taken.push(line);
    bytes += size;
  }
  return { lines: taken, cut: false };
}

export function fileRead(
  { maxLines, maxBytes }: { maxLines: number; maxBytes: number },
  policy: PathPolicy,
): ToolRun<FileReadArgs> {
  return async ({ path, offset, limit }, context) => {
    const target = await resolveWorkspacePath(context.workspace, path, policy);
    const text = await readTextFile(target, 'file_read');
    if (text === '') return `${target.relative} is empty.`;
    const paging = offset !== undefined || limit !== undefined;
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop(); // the final newline ends the last line; it adds none
    const total = lines.length;
    if (!paging && total <= maxLines && Buffer.byteLength(text, 'utf8') <= maxBytes) {
      return { content: text, data: { path: target.relative, totalLines: total } };
    }

    const start = (offset ?? 1) - 1;
    if (start >= total) {
      throw new Error(`offset ${offset} is past the end of ${target.relative}, which has ${total} lines`);
    }
    const page = takePage(lines, start, Math.min(limit ?? maxLines, maxLines), maxBytes);
    const first = start + 1;
    const last = start + page.lines.length;
    const notes = [`${target.relative}: lines ${first}-${last} of ${total}`];
    if (page.cut) notes.push(`line ${first} is longer than ${maxBytes} bytes and is cut`);
    if (last < total) notes.push(`to read on, call file_read with offset=${last + 1}`);
    return {
      content: `[${notes.join('; ')}]\n${page.lines.join('\n')}`,
      data: { path: target.relative, totalLines: total, firstLine: first, lastLine: last },
    };
  };
}
