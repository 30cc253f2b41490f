/**
 * Issue 31, item 7: the Costs page never shows calls without a known price (a local model's) as
 * $0.00; it says them as the CLI's `oxydra costs` does.
 */
import { describe, expect, it } from 'vitest';
import { formatCallsUsd, sessionLabel } from '../src/format.js';

describe('formatCallsUsd', () => {
  it('is $? when no call had a price, "+ ?" when some had none, dollars when all did', () => {
    expect(formatCallsUsd(0, 3, 3)).toBe('$?');
    expect(formatCallsUsd(0.0042, 3, 1)).toBe('$0.0042 + ?');
    expect(formatCallsUsd(1.5, 3, 0)).toBe('$1.50');
    expect(formatCallsUsd(0, 2)).toBe('$0.00');
  });
});

describe('sessionLabel', () => {
  it("shows the gateway's name, else the title, else the id", () => {
    const id = 'runtime-ann';
    expect(sessionLabel({ session_id: id, name: 'Default session', display_name: 'hi' })).toBe(
      'Default session',
    );
    expect(sessionLabel({ session_id: 'x1', display_name: 'notes' })).toBe('notes');
    expect(sessionLabel({ session_id: 'x1', name: '', display_name: null })).toBe('x1');
  });
});
