/** file_read: a text file, whole when it is small, a page of lines at a time when it is not. */
import { z } from 'zod';
import { type DefinedTool, defineTool } from '../define.js';
import { readTextFile } from '../fs/text-file.js';
import { type PathPolicy, resolveWorkspacePath } from '../paths.js';
import { utf8Prefix } from '../truncate.js';

export interface FileReadOptions {
  /** Lines per page. Default 2000. */
  maxLines?: number;
  /** Bytes per page, kept under the registry's 16 KiB output cap so pages are never cut. Default 15000. */
  maxBytes?: number;
}

export const DEFAULT_READ_LINES = 2000;
export const DEFAULT_READ_BYTES = 15_000;

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

export function fileReadTool(options: FileReadOptions = {}, policy: PathPolicy = {}): DefinedTool {
  const maxLines = options.maxLines ?? DEFAULT_READ_LINES;
  const maxBytes = options.maxBytes ?? DEFAULT_READ_BYTES;
  return defineTool({
    name: 'file_read',
    description:
      `Read a UTF-8 text file, verbatim. Over ${maxLines} lines or ${maxBytes} bytes, or with ` +
      'offset/limit, you get a page of lines (not numbered) under a header saying how to read on. ' +
      'Binary files are refused.',
    parameters: z.object({
      path: z.string(),
      // The page header says which offset reads on.
      offset: z.number().int().min(1).optional(),
      limit: z.number().int().min(1).optional(),
    }),
    safety: 'read_only',
    async execute({ path, offset, limit }, context) {
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
    },
  });
}
