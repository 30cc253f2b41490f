/** file_edit's code (its definition is in catalog.ts): one exact snippet replaced, atomically. */
import type { ToolRun } from '../define.js';
import { describeFsError, readTextFile } from '../fs/anchored.js';
import { atomicWrite } from '../fs/atomic-write.js';
import { type PathPolicy, resolveWorkspacePath } from '../paths.js';
import type { FileEditArgs } from './parameters.js';

/** Start offsets of every occurrence of `needle`, overlapping ones included. */
function occurrences(haystack: string, needle: string): number[] {
  const found: number[] = [];
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) found.push(at);
  return found;
}

const lineAt = (text: string, offset: number): number => text.slice(0, offset).split('\n').length;

/**
 * A hint for a snippet that is not in the file: where its first line appears when only
 * indentation or the lines around it differ. One pass over the lines; no fuzzy matching.
 */
function closestLine(text: string, snippet: string): string {
  const wanted = snippet
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '');
  if (wanted === undefined) return '';
  const lines = text.split('\n');
  const index = lines.findIndex((line) => line.trim() === wanted);
  if (index === -1) return '';
  return ` Its first line appears at line ${index + 1} as ${JSON.stringify(lines[index])}; check the indentation and the lines around it.`;
}

export function fileEdit(policy: PathPolicy): ToolRun<FileEditArgs> {
  return async ({ path, old_text, new_text }, context) => {
    const target = await resolveWorkspacePath(context.workspace, path, policy);
    const text = await readTextFile(target, 'file_edit');
    let oldText = old_text;
    let newText = new_text;
    let found = occurrences(text, oldText);
    // Models write "\n"; a Windows-style file has "\r\n". Same snippet, same intent.
    if (found.length === 0 && text.includes('\r\n') && !oldText.includes('\r')) {
      oldText = oldText.replace(/\n/g, '\r\n');
      newText = newText.replace(/\r?\n/g, '\r\n');
      found = occurrences(text, oldText);
    }
    const [at] = found;
    if (at === undefined) {
      throw new Error(
        `old_text was not found in ${target.relative}. Read the file with file_read and copy the exact ` +
          `text, including whitespace and indentation.${closestLine(text, old_text)}`,
      );
    }
    if (found.length > 1) {
      const where = found.slice(0, 10).map((offset) => lineAt(text, offset));
      throw new Error(
        `old_text matches ${found.length} places in ${target.relative} (lines ${where.join(', ')}); ` +
          'include more surrounding lines in old_text so it matches exactly one.',
      );
    }
    const updated = text.slice(0, at) + newText + text.slice(at + oldText.length);
    try {
      await atomicWrite(target, updated, context.signal);
    } catch (error) {
      throw describeFsError(error, target.relative);
    }
    const line = lineAt(text, at);
    const removed = oldText.split('\n').length;
    const added = newText === '' ? 0 : newText.split('\n').length;
    return {
      content: `Edited ${target.relative} at line ${line}: replaced ${removed} line(s) with ${added}.`,
      data: { path: target.relative, line },
    };
  };
}
