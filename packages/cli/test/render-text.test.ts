import { Writable } from 'node:stream';
import type { StreamEvent } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import { formatTokens, groupDigits, TextRenderer, usageLine } from '../src/run/render-text.js';

/** A stream that keeps what is written, a terminal or not. */
function sink(isTTY: boolean): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { isTTY, text: () => chunks.join('') });
}

/** Hostile model text: a clipboard write (OSC 52), a screen clear, a title, a bidi override. */
const HOSTILE = ['ok \x1b]52;c;cm0gLXJmIH4=\x07fine', '\x1b[2J\x1b]0;pwned\x07 and \u202eevil\r', '\nnext'];

function render(isTTY: boolean) {
  const stdout = sink(isTTY);
  const stderr = sink(isTTY);
  const renderer = new TextRenderer({ stdout, stderr, color: false });
  for (const text of HOSTILE) renderer.handle({ type: 'text_delta', text } as StreamEvent);
  renderer.handle({
    type: 'tool_execution_start',
    id: 'c1',
    name: 'shell_exec',
    arguments: { command: 'ls\x1b[8m; rm -rf ~' },
  } as StreamEvent);
  renderer.handle({ type: 'error', message: 'bad \x1b[31mred\x1b[0m \x9b2J' } as StreamEvent);
  return { stdout: stdout.text(), stderr: stderr.text() };
}

describe('the usage line', () => {
  it('groups digits as en-US does, without Intl', () => {
    for (const n of [
      0, 7, 42, 999, 1000, 1234, 9999, 12_345, 123_456, 1_234_567, 1_000_000_000, -1234, 1234.5,
    ]) {
      expect(groupDigits(n), String(n)).toBe(n.toLocaleString('en-US', { maximumFractionDigits: 20 }));
    }
  });

  it('shows small counts grouped and large ones in thousands', () => {
    expect(formatTokens(undefined)).toBe('?');
    expect(formatTokens(9999)).toBe('9,999');
    expect(formatTokens(12_345)).toBe('12.3k');
    expect(usageLine({ inputTokens: 1234, outputTokens: 56 }, 0.001, 2)).toBe(
      '2 model calls · 1,234 in / 56 out tokens · $0.0010',
    );
  });
});

describe('model text on a terminal', () => {
  it('is made inert on a terminal: no escape sequence, control or bidi character is written', () => {
    const { stdout, stderr } = render(true);
    expect(stdout).toBe('ok fine and evil\nnext\n');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
    expect(`${stdout}${stderr}`).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/);
    expect(stderr).toContain('-> ');
    expect(stderr).toContain('rm -rf ~');
    expect(stderr).toContain('warning: bad red ');
  });

  it('is written exactly as the model gave it when redirected to a file', () => {
    const { stdout } = render(false);
    expect(stdout).toBe(`${HOSTILE.join('')}\n`);
  });
});
