import { describe, expect, it } from 'vitest';
import { formatTokens, groupDigits, usageLine } from '../src/run/render-text.js';

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
