import { describe, expect, it } from 'vitest';
import { matchSessionId, sessionIdProblem, shortSessionId, shortSessionIds } from '../src/index.js';

// Sessions started close together: their first 8 characters (the timestamp) are equal.
const A = '01a2022f-3c44-7a01-8d2e-5f0c1e9a0b11';
const B = '01a2022f-3c44-7a02-9e11-77aa42c0ffee';
const C = '01a2022f-9d10-7b00-a000-0000deadbeef';

describe('short session ids', () => {
  it('are the random tail of a UUID, and a named id whole', () => {
    expect(shortSessionId(A)).toBe('1e9a0b11');
    expect(shortSessionId('tg:42')).toBe('tg:42');
  });

  it('grow until unique among the ids shown together', () => {
    const twin = '01a2022f-3c44-7a03-8000-99991e9a0b11'; // shares A's 8-digit tail
    const shown = shortSessionIds([A, B, twin]);
    expect(shown.get(B)).toBe('42c0ffee');
    expect(shown.get(A)).toBe('5f0c1e9a0b11');
    expect(shown.get(twin)).toBe('99991e9a0b11');
  });
});

describe('matching a typed session id', () => {
  const ids = [A, B, C, 'tg:42'];
  it('takes the full id, the short id, a longer tail, or a unique prefix', () => {
    expect(matchSessionId(A, ids)).toEqual({ ok: true, id: A });
    expect(matchSessionId('1e9a0b11', ids)).toEqual({ ok: true, id: A });
    expect(matchSessionId('42C0FFEE', ids)).toEqual({ ok: true, id: B });
    expect(matchSessionId('0c1e9a0b11', ids)).toEqual({ ok: true, id: A });
    expect(matchSessionId('01a2022f-9d', ids)).toEqual({ ok: true, id: C });
    expect(matchSessionId('tg:42', ids)).toEqual({ ok: true, id: 'tg:42' });
  });

  it('returns every candidate of an ambiguous id, and none of an unknown one', () => {
    expect(matchSessionId('01a2022f', ids)).toEqual({ ok: false, candidates: [A, B, C] });
    expect(matchSessionId('cafe0000', ids)).toEqual({ ok: false, candidates: [] });
    expect(matchSessionId('  ', ids)).toEqual({ ok: false, candidates: [] });
  });

  it('explains the problem in one line, listing the candidates by short id', () => {
    expect(sessionIdProblem('01a2022f', [A, B, C])).toBe(
      'session id "01a2022f" matches 3 sessions (1e9a0b11, 42c0ffee, deadbeef); type one of these short ids',
    );
    expect(sessionIdProblem('cafe0000', [])).toBe('no session "cafe0000"');
  });
});
