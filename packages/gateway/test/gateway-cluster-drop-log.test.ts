/**
 * The warning for what is dropped from the deployment bus is rate-limited: an intruder flooding
 * the bus gets one line at once, then one summary line per period with the count, not one line
 * per message; and the count still to say when the process stops is said then, not lost. Time is
 * vitest's fake clock (the period is a minute).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DropLog } from '../src/drop-log.js';

/** A drop log of period 1 s, and the lines it wrote. */
function recorded() {
  const lines: Array<[string, Record<string, unknown> | undefined]> = [];
  const dropped = new DropLog((_level, message, fields) => lines.push([message, fields]), 'dropped x', 1000);
  return { lines, dropped };
}

describe('the bus drop warning', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('logs the first drop at once, then one summary per period, then again at once after quiet', () => {
    const { lines, dropped } = recorded();
    for (let i = 0; i < 500; i++) dropped.drop({ n: i });
    expect(lines).toEqual([['dropped x', { n: 0 }]]);
    vi.advanceTimersByTime(1000);
    expect(lines[1]).toEqual(['dropped x (499 more since the last line)', { dropped: 499 }]);
    dropped.drop({ n: 500 });
    dropped.drop({ n: 501 });
    expect(lines).toHaveLength(2);
    vi.advanceTimersByTime(1000);
    expect(lines[2]).toEqual(['dropped x (2 more since the last line)', { dropped: 2 }]);
    // A quiet period: nothing to say, and the next drop is logged at once again.
    vi.advanceTimersByTime(1000);
    expect(lines).toHaveLength(3);
    dropped.drop({ n: 502 });
    expect(lines[3]).toEqual(['dropped x', { n: 502 }]);
  });

  it('says the count still pending at a stop, once, and nothing when there is none', () => {
    const { lines, dropped } = recorded();
    dropped.flush();
    expect(lines).toEqual([]);
    for (let i = 0; i < 3; i++) dropped.drop({ n: i });
    dropped.flush();
    expect(lines).toEqual([
      ['dropped x', { n: 0 }],
      ['dropped x (2 more since the last line)', { dropped: 2 }],
    ]);
    // Said once: the period's timer went with it.
    vi.advanceTimersByTime(5000);
    expect(lines).toHaveLength(2);
  });

  it('counts per key, and past maxKeys counts the other keys together: bounded memory', () => {
    const lines: Array<[string, Record<string, unknown> | undefined]> = [];
    const refused = new DropLog((_level, message, fields) => lines.push([message, fields]), 'refused', {
      everyMs: 1000,
      maxKeys: 2,
      summary: (count, key) => `refused ${count} more from ${key ?? 'other addresses'}`,
    });
    for (let i = 0; i < 3; i++) refused.drop({ i }, '10.0.0.1');
    refused.drop({ i: 3 }, '10.0.0.2');
    // Past two addresses, 1,000 new ones are counted together, none remembered nor logged apart.
    for (let i = 0; i < 1000; i++) refused.drop({ i }, `192.0.2.${i}`);
    expect(lines).toEqual([
      ['refused', { i: 0 }],
      ['refused', { i: 3 }],
    ]);
    vi.advanceTimersByTime(1000);
    expect(lines.slice(2)).toEqual([
      ['refused 2 more from 10.0.0.1', { dropped: 2, remote: '10.0.0.1' }],
      ['refused 1000 more from other addresses', { dropped: 1000 }],
    ]);
    // Quiet keys are forgotten: the next drop from 10.0.0.2 is logged at once.
    vi.advanceTimersByTime(2000);
    refused.drop({ i: 'again' }, '10.0.0.2');
    expect(lines.at(-1)).toEqual(['refused', { i: 'again' }]);
  });
});
