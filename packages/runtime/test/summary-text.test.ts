import type { Message } from '@oxydra/types';
import { describe, expect, it } from 'vitest';
import {
  CONDENSED_HEADER,
  MAX_ENTRY_CHARS,
  MAX_SUMMARY_CHARS,
  MAX_SUMMARY_ENTRIES,
  mechanicalSummary,
} from '../src/index.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const user = (content: string): Message => ({ role: 'user', content });
const answer = (content: string): Message => ({ role: 'assistant', content });

function bullets(summary: string): string[] {
  return summary.split('\n').filter((line) => line.startsWith('- ['));
}

/** The format rules every mechanical summary keeps, whatever it was given. */
function expectWithinRules(summary: string): void {
  expect(summary.length).toBeLessThanOrEqual(MAX_SUMMARY_CHARS);
  const entries = bullets(summary);
  expect(entries.length).toBeLessThanOrEqual(MAX_SUMMARY_ENTRIES);
  for (const entry of entries) {
    expect(entry.length).toBeLessThanOrEqual(MAX_ENTRY_CHARS);
    expect(entry).toMatch(/^- \[\d+\] (system|user|assistant|tool): /);
  }
  expect(summary.split('\n').filter((line) => line === CONDENSED_HEADER).length).toBeLessThanOrEqual(1);
  expect(summary).not.toMatch(LONE_SURROGATE);
}

describe('mechanicalSummary', () => {
  it('lists the condensed messages as "- [seq] role: content", numbered from startSeq', () => {
    const messages: Message[] = [
      user('Fix the failing\n  test in parser.ts'),
      {
        role: 'assistant',
        content: 'Let me look.',
        toolCalls: [
          { id: 'c1', name: 'file_read', arguments: { path: 'parser.ts' } },
          { id: 'c2', name: 'shell_exec', arguments: { command: 'npm test' } },
        ],
      },
      { role: 'tool', toolCallId: 'c1', toolName: 'file_read', content: 'export function parse() {}' },
      { role: 'tool', toolCallId: 'c2', toolName: 'shell_exec', content: '1 failing', isError: true },
      { role: 'assistant', content: '', toolCalls: [{ id: 'c3', name: 'file_edit', arguments: {} }] },
      { role: 'assistant', content: '' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'see the screenshot' },
          { type: 'attachment', mimeType: 'image/png', data: 'AAAA' },
        ],
      },
    ];
    expect(mechanicalSummary(undefined, messages, 5)).toBe(
      [
        'Recent condensed turns:',
        '- [5] user: Fix the failing test in parser.ts',
        '- [6] assistant: Let me look. (called file_read, shell_exec)',
        '- [7] tool: file_read: export function parse() {}',
        '- [8] tool: shell_exec failed: 1 failing',
        '- [9] assistant: (called file_edit)',
        '- [10] assistant: (no text)',
        '- [11] user: see the screenshot [1 attachment]',
      ].join('\n'),
    );
  });

  it('keeps a previous summary first, and extends its list of condensed turns instead of starting another', () => {
    const first = mechanicalSummary(
      'The user is Ann; the project is a parser.',
      [user('one'), answer('two')],
      1,
    );
    expect(first).toBe(
      'The user is Ann; the project is a parser.\nRecent condensed turns:\n- [1] user: one\n- [2] assistant: two',
    );
    const second = mechanicalSummary(first, [user('three'), answer('four')], 3);
    expect(second).toBe(
      [
        'The user is Ann; the project is a parser.',
        'Recent condensed turns:',
        '- [1] user: one',
        '- [2] assistant: two',
        '- [3] user: three',
        '- [4] assistant: four',
      ].join('\n'),
    );
    expectWithinRules(second);
  });

  it('keeps the newest 24 entries', () => {
    const messages = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? user(`q${i}`) : answer(`a${i}`)));
    const summary = mechanicalSummary(undefined, messages, 101);
    const entries = bullets(summary);
    expect(entries).toHaveLength(24);
    expect(entries[0]).toBe('- [107] user: q6');
    expect(entries.at(-1)).toBe('- [130] assistant: a29');
    // Across summaries too: old entries make way for new ones.
    const next = bullets(mechanicalSummary(summary, [user('latest')], 131));
    expect(next).toHaveLength(24);
    expect(next[0]).toBe('- [108] assistant: a7');
    expect(next.at(-1)).toBe('- [131] user: latest');
  });

  it('cuts each entry to 180 characters, never inside a character', () => {
    const long = `${'x'.repeat(170)}😀😀😀😀😀 and more`;
    const summary = mechanicalSummary(undefined, [user(long)], 1);
    const [entry] = bullets(summary);
    expect(entry?.length).toBeLessThanOrEqual(180);
    expect(entry?.endsWith('…')).toBe(true);
    expect(entry?.startsWith(`- [1] user: ${'x'.repeat(100)}`)).toBe(true);
    for (let pad = 160; pad < 180; pad++) {
      expectWithinRules(mechanicalSummary(undefined, [user(`${'y'.repeat(pad)}😀😀😀😀😀😀😀😀😀😀`)], 1));
    }
  });

  it('stays within 4000 characters, dropping the oldest entries first', () => {
    const messages = Array.from({ length: 24 }, (_, i) => user(`${i} ${'z'.repeat(300)}`));
    const summary = mechanicalSummary(undefined, messages, 1);
    expectWithinRules(summary);
    const entries = bullets(summary);
    // 24 entries of 180 characters would be 4,300+: the oldest went, the newest stayed.
    expect(entries.length).toBeLessThan(24);
    expect(entries.at(-1)).toMatch(/^- \[24\] user: 23 z+…$/);
    expect(summary.length).toBeGreaterThan(MAX_SUMMARY_CHARS - MAX_ENTRY_CHARS);
  });

  it('keeps the end of a long previous summary (the most recent part) within the limit', () => {
    const previous = `${'old '.repeat(2000)}THE END OF THE PREVIOUS SUMMARY`;
    const summary = mechanicalSummary(previous, [user('next question')], 9);
    expectWithinRules(summary);
    expect(summary.length).toBe(MAX_SUMMARY_CHARS);
    expect(summary.startsWith('…')).toBe(true);
    expect(summary).toContain(
      'THE END OF THE PREVIOUS SUMMARY\nRecent condensed turns:\n- [9] user: next question',
    );
  });

  it("treats a summary model's prose that mentions the header as prose", () => {
    const prose = 'Notes.\nRecent condensed turns:\nthe user refactored the lexer.';
    expect(mechanicalSummary(prose, [user('q')], 4)).toBe(`${prose}\n${CONDENSED_HEADER}\n- [4] user: q`);
  });
});
