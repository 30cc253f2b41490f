/**
 * The warning for what is dropped from the deployment bus is rate-limited: an intruder flooding
 * the bus gets one line at once, then one summary line per period with the count, not one line
 * per message. Time is vitest's fake clock (the period is a minute).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dropLogger } from '../src/cluster/drop-log.js';

describe('the bus drop warning', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('logs the first drop at once, then one summary per period, then again at once after quiet', () => {
    const lines: Array<[string, Record<string, unknown> | undefined]> = [];
    const dropped = dropLogger((_level, message, fields) => lines.push([message, fields]), 'dropped x', 1000);
    for (let i = 0; i < 500; i++) dropped({ n: i });
    expect(lines).toEqual([['dropped x', { n: 0 }]]);
    vi.advanceTimersByTime(1000);
    expect(lines[1]).toEqual(['dropped x (499 more since the last line)', { dropped: 499 }]);
    dropped({ n: 500 });
    dropped({ n: 501 });
    expect(lines).toHaveLength(2);
    vi.advanceTimersByTime(1000);
    expect(lines[2]).toEqual(['dropped x (2 more since the last line)', { dropped: 2 }]);
    // A quiet period: nothing to say, and the next drop is logged at once again.
    vi.advanceTimersByTime(1000);
    expect(lines).toHaveLength(3);
    dropped({ n: 502 });
    expect(lines[3]).toEqual(['dropped x', { n: 502 }]);
  });
});
