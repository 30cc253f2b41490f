/** Reading a workspace file as UTF-8 text, refusing what is not text. */
import { type Checked, openRegularFile, readCapped } from './anchored.js';
import { describeFsError } from './errors.js';

/** Larger files are refused rather than loaded whole: searching or the shell suits them better. */
const MAX_TEXT_FILE_BYTES = 32 * 1024 * 1024;

/** Keeps a byte-order mark in the string, so an edit writes the file back with it. */
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The file's text. Binary content (a NUL byte) and invalid UTF-8 are refused with a message,
 * since handing the model mojibake wastes its context and invites corrupting edits. A FIFO,
 * device or socket is refused at once (see anchored.ts), never waited on.
 */
export async function readTextFile(target: Checked, tool: string): Promise<string> {
  const shown = target.relative;
  let bytes: Buffer;
  try {
    // One handle for the checks and the read: the file checked is the file read.
    const file = await openRegularFile(target, `${shown} is a directory; list it with file_list`);
    const { info } = file;
    try {
      const tooLarge = (size: string) =>
        new Error(
          `${shown} is ${size} bytes; ${tool} handles text files up to ${MAX_TEXT_FILE_BYTES} bytes ` +
            '(use file_search to find the part you need)',
        );
      if (info.size > MAX_TEXT_FILE_BYTES) throw tooLarge(String(info.size));
      // It may grow after the fstat: read at most one byte past the cap.
      bytes = await readCapped(file.read, info.size, MAX_TEXT_FILE_BYTES, () =>
        tooLarge(`over ${MAX_TEXT_FILE_BYTES}`),
      );
    } finally {
      file.close();
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
