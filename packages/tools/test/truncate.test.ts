import { Buffer } from 'node:buffer';
import { HeadTailBuffer } from '@oxydra/sandbox';
import { describe, expect, it } from 'vitest';
import { truncateOutput, truncationSuffix, utf8Prefix, utf8Suffix } from '../src/index.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('UTF-8 boundaries', () => {
  it('never splits a character at the end of a prefix', () => {
    const text = 'a€😀b'; // 1 + 3 + 4 + 1 bytes
    expect(utf8Prefix(bytes(text), 1).toString()).toBe('a');
    expect(utf8Prefix(bytes(text), 2).toString()).toBe('a');
    expect(utf8Prefix(bytes(text), 3).toString()).toBe('a');
    expect(utf8Prefix(bytes(text), 4).toString()).toBe('a€');
    expect(utf8Prefix(bytes(text), 7).toString()).toBe('a€');
    expect(utf8Prefix(bytes(text), 8).toString()).toBe('a€😀');
    expect(utf8Prefix(bytes(text), 100).toString()).toBe(text);
  });

  it('never starts a suffix inside a character', () => {
    const text = 'a€😀b';
    expect(utf8Suffix(bytes(text), 1).toString()).toBe('b');
    expect(utf8Suffix(bytes(text), 3).toString()).toBe('b');
    expect(utf8Suffix(bytes(text), 5).toString()).toBe('😀b');
    expect(utf8Suffix(bytes(text), 8).toString()).toBe('€😀b');
  });

  it('drops a character already cut at the edge of a slice', () => {
    const cut = bytes('ab€').subarray(0, 3); // 'ab' and the first byte of '€'
    expect(utf8Prefix(cut, 10).toString()).toBe('ab');
    const cutStart = bytes('€ab').subarray(1);
    expect(utf8Suffix(cutStart, 10).toString()).toBe('ab');
  });
});

describe('truncateOutput', () => {
  it('keeps text within the cap unchanged', () => {
    expect(truncateOutput('hello', 5)).toBe('hello');
  });

  it('fits text and suffix in the cap', () => {
    const out = truncateOutput('x'.repeat(1000), 100);
    expect(out).toBe('x'.repeat(100 - Buffer.byteLength(truncationSuffix(1000))) + truncationSuffix(1000));
    expect(Buffer.byteLength(out)).toBe(100);
    expect(truncationSuffix(1000)).toBe('\n[output truncated — original size: 1000 bytes]');
  });
});

describe('HeadTailBuffer', () => {
  it('keeps everything within its capacity', () => {
    const buffer = new HeadTailBuffer(10);
    buffer.push(bytes('hello '));
    buffer.push(bytes('you'));
    expect(buffer.text()).toBe('hello you');
    expect(buffer.omittedBytes).toBe(0);
  });

  it('keeps the start and the end, and counts what it dropped', () => {
    const buffer = new HeadTailBuffer(8);
    for (const chunk of ['ab', 'cdef', 'ghijklmn', 'opqrstuvwxyz']) buffer.push(bytes(chunk));
    expect(buffer.totalBytes).toBe(26);
    expect(buffer.omittedBytes).toBe(18);
    expect(buffer.text()).toBe('abcd\n[... 18 bytes of output omitted ...]\nwxyz');
  });

  it('cuts on character boundaries at both ends', () => {
    const buffer = new HeadTailBuffer(8);
    buffer.push(bytes('aaa€'));
    buffer.push(bytes('-'.repeat(20)));
    buffer.push(bytes('€bb'));
    // 31 bytes; kept: the head 'aaa' + 1 byte of '€' (dropped) and the tail 2 bytes of '€' (dropped) + 'bb'.
    expect(buffer.totalBytes).toBe(31);
    expect(buffer.text()).toBe('aaa\n[... 23 bytes of output omitted ...]\nbb');
  });
});
