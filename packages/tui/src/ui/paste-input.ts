/**
 * The terminal's input as Ink reads it, with bracketed paste on (bracketed-paste.ts). Ink gets
 * a stream that looks like the TTY (setRawMode, ref and unref go to the real one) and carries
 * the decoded input. The mode is switched on with raw mode (when Ink starts reading keys) and
 * off with it (when Ink stops: quit, or an error that unmounts the app), and on process exit
 * should neither happen, so no shell is left with the mode on (it would see ^[[200~ around
 * every paste).
 */
import { PassThrough } from 'node:stream';
import { DISABLE_BRACKETED_PASTE, ENABLE_BRACKETED_PASTE, PasteDecoder } from './bracketed-paste.js';

/** How long the start of a marker at the end of a read waits for the rest of it. */
const MARKER_WAIT_MS = 25;

export interface PasteInput {
  stdin: NodeJS.ReadStream;
  /** Stop reading and make sure the mode is off. */
  close(): void;
}

export function bracketedPasteInput(terminal: NodeJS.ReadStream, output: NodeJS.WriteStream): PasteInput {
  const decoder = new PasteDecoder();
  const stream = new PassThrough();
  let timer: NodeJS.Timeout | undefined;
  let reading = false;

  const forward = (text: string) => {
    if (text !== '') stream.write(text);
  };
  const onData = (chunk: string | Buffer) => {
    clearTimeout(timer);
    forward(decoder.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8')));
    if (decoder.holding) timer = setTimeout(() => forward(decoder.flush()), MARKER_WAIT_MS);
  };
  const setMode = (on: boolean) => {
    if (on === reading) return;
    reading = on;
    if (on) {
      output.write(ENABLE_BRACKETED_PASTE);
      process.on('exit', disableOnExit);
      terminal.setEncoding('utf8'); // whole characters, even when a read splits one
      terminal.on('data', onData);
    } else {
      clearTimeout(timer);
      terminal.off('data', onData);
      terminal.pause();
      output.write(DISABLE_BRACKETED_PASTE);
      process.off('exit', disableOnExit);
    }
  };
  const disableOnExit = () => {
    if (reading) output.write(DISABLE_BRACKETED_PASTE);
  };

  const stdin = Object.assign(stream, {
    isTTY: true,
    setRawMode(on: boolean) {
      terminal.setRawMode(on);
      setMode(on);
      return stdin;
    },
    ref() {
      terminal.ref();
      return stdin;
    },
    unref() {
      terminal.unref();
      return stdin;
    },
  }) as unknown as NodeJS.ReadStream;

  return {
    stdin,
    close() {
      if (reading) {
        setMode(false);
        terminal.setRawMode(false);
      }
    },
  };
}
