import { splitMessage } from '@oxydra/channels';
import { describe, expect, it } from 'vitest';

describe('splitMessage', () => {
  it('keeps a text that fits as one part', () => {
    expect(splitMessage('hello', 4096)).toEqual(['hello']);
    const exact = 'x'.repeat(4096);
    expect(splitMessage(exact, 4096)).toEqual([exact]);
  });

  it('cuts at a paragraph boundary before a line boundary', () => {
    const a = 'a'.repeat(60);
    const b = 'b'.repeat(30);
    const c = 'c'.repeat(30);
    const parts = splitMessage(`${a}\n\n${b}\n${c}`, 100);
    expect(parts).toEqual([a, `${b}\n${c}`]);
  });

  it('cuts at a line, then a space, then anywhere, and every part fits', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i} ${'w '.repeat(10).trim()}`).join('\n');
    const parts = splitMessage(lines, 100);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(100);
      expect(part.startsWith('line ')).toBe(true);
    }
    expect(parts.join('\n')).toBe(lines);

    const word = 'y'.repeat(250);
    const hard = splitMessage(word, 100);
    expect(hard.every((p) => p.length <= 100)).toBe(true);
    expect(hard.join('')).toBe(word);
  });

  it('never cuts a surrogate pair in two', () => {
    const emoji = '😀'.repeat(80); // 160 UTF-16 units, no boundary
    const parts = splitMessage(emoji, 51);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(51);
      expect(part).not.toMatch(/[\ud800-\udbff]$/);
      expect(part).not.toMatch(/^[\udc00-\udfff]/);
    }
    expect(parts.join('')).toBe(emoji);
  });

  it('closes a code block at a cut and opens it again in the next part', () => {
    const code = Array.from({ length: 30 }, (_, i) => `const v${i} = ${i};`).join('\n');
    const parts = splitMessage(`Here:\n\n\`\`\`ts\n${code}\n\`\`\`\nDone.`, 200);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(200);
      const fences = part.split('\n').filter((line) => line.startsWith('```')).length;
      expect(fences % 2, part).toBe(0);
    }
    expect(parts[1]!.startsWith('```\n')).toBe(true);
  });

  it('gives the same first part for a text and for its first max + 1 characters (what streaming shows)', () => {
    const code = Array.from({ length: 400 }, (_, i) => `line ${i}: ${'z'.repeat(i % 37)}`).join('\n');
    const text = `Intro.\n\n\`\`\`\n${code}\n\`\`\`\n\n${'tail '.repeat(500)}`;
    for (const max of [100, 777, 4096]) {
      expect(splitMessage(text.slice(0, max + 1), max)[0]).toBe(splitMessage(text, max)[0]);
    }
  });

  it('splits an answer past Telegram’s 4,096 characters into parts of at most 4,096', () => {
    const paragraph = `${'word '.repeat(199)}end.`;
    const answer = Array.from({ length: 10 }, () => paragraph).join('\n\n');
    const parts = splitMessage(answer, 4096);
    expect(parts.length).toBe(3);
    expect(parts.every((p) => p.length <= 4096 && p.endsWith('end.'))).toBe(true);
    expect(parts.join('\n\n')).toBe(answer);
  });
  it('makes no empty part of a long run of blanks (platforms refuse an empty message)', () => {
    for (const blank of [' ', '\t', '\u3000']) {
      const parts = splitMessage(`a${blank.repeat(300)}b`, 100);
      expect(parts.every((p) => p.trim() !== '')).toBe(true);
      expect(parts[0]).toBe('a');
      expect(parts.at(-1)!.trimStart()).toBe('b');
    }
  });
});
