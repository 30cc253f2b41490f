import { describe, expect, it } from 'vitest';
import { CHUNK_OVERLAP, CHUNK_SIZE, chunkText, contentHash, dedupByHash } from '../src/retrieval/chunking.js';

/** Prose of ~60-char sentences: plenty of sentence ends near any limit. */
function prose(sentences: number): string {
  return Array.from(
    { length: sentences },
    (_, i) => `Sentence number ${i} talks about topic ${i % 7} at some length here.`,
  ).join(' ');
}

describe('chunkText', () => {
  it('keeps a short text whole, trimmed, and gives nothing for blank text', () => {
    expect(chunkText('  hello world \n')).toEqual([{ text: 'hello world', start: 2, end: 13 }]);
    expect(chunkText('')).toEqual([]);
    expect(chunkText(' \n\t ')).toEqual([]);
    const exact = 'x'.repeat(CHUNK_SIZE);
    expect(chunkText(exact)).toHaveLength(1);
  });

  it('cuts long text into chunks of at most 640 characters that overlap by ~96', () => {
    const text = prose(60);
    const chunks = chunkText(text);
    expect(chunks.length).toBeGreaterThan(4);
    for (const chunk of chunks) {
      expect(chunk.text.length).toBeLessThanOrEqual(CHUNK_SIZE);
      expect(text.slice(chunk.start, chunk.end)).toBe(chunk.text);
      // Not much shorter than the limit: the break is looked for in the last quarter.
      if (chunk !== chunks.at(-1)) expect(chunk.text.length).toBeGreaterThanOrEqual(CHUNK_SIZE * 0.75);
    }
    for (let i = 1; i < chunks.length; i++) {
      const overlap = chunks[i - 1]!.end - chunks[i]!.start;
      // 96, moved back to the start of a word (<= 32 more) or past a space (1 less).
      expect(overlap).toBeGreaterThanOrEqual(CHUNK_OVERLAP - 1);
      expect(overlap).toBeLessThanOrEqual(CHUNK_OVERLAP + 32);
    }
    expect(chunks[0]!.start).toBe(0);
    expect(chunks.at(-1)!.end).toBe(text.length);
  });

  it('ends chunks at sentence ends and starts them at word starts', () => {
    const text = prose(60);
    const chunks = chunkText(text);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.text.endsWith('.')).toBe(true);
    for (const chunk of chunks) {
      expect(chunk.start === 0 || /\s/.test(text[chunk.start - 1]!)).toBe(true);
      expect(/\s/.test(text[chunk.start]!)).toBe(false);
    }
  });

  it('prefers a paragraph break, then a sentence end, then a space', () => {
    // A paragraph break at ~520, sentence ends after it: the paragraph wins.
    const para = `${'word '.repeat(104)}end.\n\n${'more words here. '.repeat(40)}`;
    expect(chunkText(para)[0]!.text.endsWith('end.')).toBe(true);
    // No sentence end at all: the last space before the limit.
    const words = 'alpha beta gamma delta '.repeat(60);
    const first = chunkText(words)[0]!;
    expect(words[first.end]).toBe(' ');
    expect(first.text.length).toBeGreaterThan(CHUNK_SIZE - 12);
  });

  it('hard-cuts a token longer than a chunk, never inside a surrogate pair', () => {
    const blob = 'x'.repeat(2000);
    const chunks = chunkText(blob);
    expect(chunks[0]!.text).toHaveLength(CHUNK_SIZE);
    expect(chunks[0]!.end - chunks[1]!.start).toBe(CHUNK_OVERLAP);
    expect(chunks.map((c) => c.text).join('').length).toBeGreaterThan(2000);
    const emoji = '😀'.repeat(700); // 1400 UTF-16 units, pairs everywhere
    for (const chunk of chunkText(emoji)) {
      expect(chunk.text.length % 2).toBe(0);
      expect(chunk.start % 2).toBe(0);
    }
  });

  it('takes another size and overlap, and rejects impossible ones', () => {
    const chunks = chunkText(prose(10), { size: 100, overlap: 20 });
    for (const chunk of chunks) expect(chunk.text.length).toBeLessThanOrEqual(100);
    expect(() => chunkText('x', { size: 8 })).toThrow(RangeError);
    expect(() => chunkText('x', { size: 100, overlap: 60 })).toThrow(RangeError);
    expect(() => chunkText('x', { overlap: -1 })).toThrow(RangeError);
  });
});

describe('content hash and dedup', () => {
  it('hashes normalised text: case and whitespace do not matter, words do', () => {
    const hash = contentHash('Hello   World\n');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(contentHash('hello world')).toBe(hash);
    expect(contentHash('hello worlds')).not.toBe(hash);
    // Compatibility forms fold together (NFKC): the "ﬁ" ligature is "fi".
    expect(contentHash('ﬁle')).toBe(contentHash('file'));
  });

  it('keeps the first of each content, skipping what `seen` already has', () => {
    const items = ['a', 'B', 'A ', 'c', 'b'].map((text) => ({ text, hash: contentHash(text) }));
    expect(dedupByHash(items).map((item) => item.text)).toEqual(['a', 'B', 'c']);
    expect(dedupByHash(items, new Set([contentHash('c')])).map((item) => item.text)).toEqual(['a', 'B']);
  });
});
