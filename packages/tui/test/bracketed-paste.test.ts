/** Bracketed paste: the decoder between the terminal and Ink, and the input stream around it. */
import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pollUntil } from '@oxydra/testkit/helpers';
import { describe, expect, it } from 'vitest';
import {
  DISABLE_BRACKETED_PASTE,
  ENABLE_BRACKETED_PASTE,
  PASTE_END,
  PASTE_START,
  PasteDecoder,
} from '../src/ui/bracketed-paste.js';
import { bracketedPasteInput } from '../src/ui/paste-input.js';

/** Everything the decoder passes on for these reads, then a flush. */
function decode(...chunks: string[]): string {
  const decoder = new PasteDecoder();
  return chunks.map((chunk) => decoder.push(chunk)).join('') + decoder.flush();
}

describe('bracketed paste decoder', () => {
  it('passes typed input through untouched, Enter (CR) and escape keys included', () => {
    expect(decode('abc', '\r', '\x1b[A', '\x1b')).toBe('abc\r\x1b[A\x1b');
  });

  it('drops the markers and turns pasted line breaks into newlines, never a CR', () => {
    expect(decode(`${PASTE_START}one\rtwo\r\nthree\n${PASTE_END}`)).toBe('one\ntwo\nthree\n');
    expect(decode(`${PASTE_START}x${PASTE_END}\r`)).toBe('x\r'); // the Enter pressed after it
  });

  it('drops escape sequences and control bytes inside a paste (an arrow key must not move the cursor)', () => {
    expect(decode(`${PASTE_START}a\x1b[Db\x7f\x03\tc${PASTE_END}`)).toBe('a[Db\tc');
  });

  it('finds markers split across reads at any point', () => {
    const input = `typed${PASTE_START}line 1\rline 2\r${PASTE_END}\r`;
    for (let cut = 1; cut < input.length; cut++)
      expect(decode(input.slice(0, cut), input.slice(cut)), `cut at ${cut}`).toBe('typedline 1\nline 2\n\r');
  });

  it('keeps a long paste read in many pieces as one paste', () => {
    const body = Array.from({ length: 500 }, (_, i) => `row ${i}`).join('\r');
    const input = `${PASTE_START}${body}\r${PASTE_END}`;
    const reads: string[] = [];
    for (let at = 0; at < input.length; at += 61) reads.push(input.slice(at, at + 61));
    const out = decode(...reads);
    expect(out).toBe(`${body.replace(/\r/g, '\n')}\n`);
    expect(out).not.toContain('\r');
  });

  it('holds only what could start a marker, and gives it back on flush', () => {
    const decoder = new PasteDecoder();
    expect(decoder.push('ab\x1b[20')).toBe('ab');
    expect(decoder.holding).toBe(true);
    expect(decoder.flush()).toBe('\x1b[20');
    expect(decoder.push('\x1b[2J')).toBe('\x1b[2J');
    expect(decoder.holding).toBe(false);
  });
});

describe('bracketed paste input stream', () => {
  /** A stand-in terminal: a real stream with the TTY calls Ink makes, recording raw mode. */
  function fakeTerminal() {
    const raw: boolean[] = [];
    const terminal = Object.assign(new PassThrough(), {
      isTTY: true,
      setRawMode(on: boolean) {
        raw.push(on);
        return terminal;
      },
      ref: () => terminal,
      unref: () => terminal,
    });
    const output = new PassThrough();
    let written = '';
    output.on('data', (chunk: Buffer) => {
      written += chunk.toString('utf8');
    });
    return {
      terminal: terminal as unknown as NodeJS.ReadStream,
      output: output as unknown as NodeJS.WriteStream,
      raw,
      written: () => written,
      type: (text: string) => terminal.write(text),
    };
  }

  it('turns the mode on with raw mode, decodes what is read, and turns it off again', async () => {
    const fake = fakeTerminal();
    const input = bracketedPasteInput(fake.terminal, fake.output);
    input.stdin.setEncoding('utf8');
    let received = '';
    input.stdin.on('data', (chunk: string) => {
      received += chunk;
    });
    input.stdin.setRawMode(true);
    await pollUntil(() => fake.written() === ENABLE_BRACKETED_PASTE, 'the mode switched on');
    expect(fake.raw).toEqual([true]);

    fake.type(`${PASTE_START}a\rb${PASTE_END}`);
    fake.type('\r');
    await pollUntil(() => received === 'a\nb\r', 'the decoded paste and the Enter');

    input.stdin.setRawMode(false);
    await pollUntil(() => fake.written().endsWith(DISABLE_BRACKETED_PASTE), 'the mode switched off');
    expect(fake.raw).toEqual([true, false]);
    input.close(); // already off: nothing more is written
    expect(fake.written()).toBe(ENABLE_BRACKETED_PASTE + DISABLE_BRACKETED_PASTE);
  });

  it('passes a lone Esc on after a short wait instead of holding it for a marker', async () => {
    const fake = fakeTerminal();
    const input = bracketedPasteInput(fake.terminal, fake.output);
    input.stdin.setEncoding('utf8');
    let received = '';
    input.stdin.on('data', (chunk: string) => {
      received += chunk;
    });
    input.stdin.setRawMode(true);
    fake.type('\x1b');
    await pollUntil(() => received === '\x1b', 'the Esc key');
    input.close();
    expect(fake.raw).toEqual([true, false]);
  });

  it('switches the mode off when the process dies of an uncaught error', () => {
    // The built module (npm test compiles first), in a process of its own that crashes.
    const built = pathToFileURL(fileURLToPath(new URL('../dist/ui/paste-input.js', import.meta.url))).href;
    const script = `
      import { PassThrough } from 'node:stream';
      const { bracketedPasteInput } = await import(${JSON.stringify(built)});
      const terminal = Object.assign(new PassThrough(), { isTTY: true, setRawMode() {}, ref() {}, unref() {} });
      bracketedPasteInput(terminal, process.stdout).stdin.setRawMode(true);
      setImmediate(() => { throw new Error('crashed on purpose'); });
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.stderr).toContain('crashed on purpose');
    expect(child.status).toBe(1);
    expect(child.stdout).toBe(ENABLE_BRACKETED_PASTE + DISABLE_BRACKETED_PASTE);
  });
});
