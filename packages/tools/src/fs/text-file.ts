/** Reading a workspace file as UTF-8 text, refusing what is not text. */
import { open } from 'node:fs/promises';
import { describeFsError } from './errors.js';

/** Larger files are refused rather than loaded whole: searching or the shell suits them better. */
export const MAX_TEXT_FILE_BYTES = 32 * 1024 * 1024;

/** Keeps a byte-order mark in the string, so an edit writes the file back with it. */
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The file's text. Binary content (a NUL byte) and invalid UTF-8 are refused with a message,
 * since handing the model mojibake wastes its context and invites corrupting edits.
 */
export async function readTextFile(real: string, shown: string, tool: string): Promise<string> {
  let bytes: Buffer;
  try {
    // One handle for the size check and the read: fewer round trips to the thread pool, and the
    // size checked is the size of the file actually read.
    const handle = await open(real, 'r');
    try {
      const info = await handle.stat();
      if (info.isDirectory()) throw new Error(`${shown} is a directory; list it with file_list`);
      if (info.size > MAX_TEXT_FILE_BYTES) {
        throw new Error(
          `${shown} is ${info.size} bytes; ${tool} handles text files up to ${MAX_TEXT_FILE_BYTES} bytes ` +
            '(use file_search to find the part you need)',
        );
      }
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw describeFsError(error, shown);
  }
  if (bytes.includes(0)) {
    throw new Error(
      `${shown} looks like a binary file (it contains NUL bytes); ${tool} works on UTF-8 text only`,
    );
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new Error(
      `${shown} is not valid UTF-8 text (binary or another encoding); ${tool} works on UTF-8 text only`,
    );
  }
}
