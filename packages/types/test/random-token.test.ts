/**
 * The one rule for a long random token, in its two strictnesses: tool output spares the
 * identifiers the model needs (@oxydra/tools redactHighEntropy), `config show` masks them too
 * (looksLikeSecret, for an MCP server's arguments).
 */
import { describe, expect, it } from 'vitest';
import { looksLikeRandomToken, looksLikeSecret } from '../src/index.js';

/** What each token is: where only shown (the strict rule), and in tool output (identifiers spared). */
const TOKEN = { strict: true, sparing: true };
const SPARED = { strict: true, sparing: false };
const NONE = { strict: false, sparing: false };
const cases: [string, string, { strict: boolean; sparing: boolean }][] = [
  ['a bare key', 'sk-AbC123dEf456GhI789jKl012MnO345', TOKEN],
  ['a GitHub token', 'ghp_16C7e42F292c6912E7710c838347Ae178B4a', TOKEN],
  [
    'a JWT',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    TOKEN,
  ],
  ['padded base64', 'dGhpcyBpcyBhIHNlY3JldCB0b2tlbiAxMjM0NTY3OA==', TOKEN],
  ['24 random characters', 'Qm7xK2pLr9Tz4VbN8cWd3FhJ', TOKEN],
  ['a commit', '3f2a9c1e4b5d6f708192a3b4c5d6e7f809182736', SPARED],
  ['a commit ending a sentence', '3f2a9c1e4b5d6f708192a3b4c5d6e7f809182736.', SPARED],
  ['a UUID', '123e4567-e89b-12d3-a456-426614174000', SPARED],
  ['a note id', 'note-123e4567-e89b-12d3-a456-426614174000', SPARED],
  ['a path with three separators', 'cache/k7Qz/x9Lm/Pq2Wv8RtY5nB3cD6', SPARED],
  ['a name 40-50% words', 'kernel.db.untrusted-20261124T201500', SPARED],
  ['too short', 'aB3dE5gH7jK9mN2pQ4rS6', NONE],
  ['no digits', 'ThisIsAnOrdinaryLongIdentifierName', NONE],
  ['no letters', '202611241201500123456789', NONE],
  ['mostly words', 'createV2ResponsesAdapterFromConfig', NONE],
  ['words and numbers', 'ERR_INVALID_ARG_TYPE_VALUE_1234', NONE],
  ['a model id', 'claude-3-5-sonnet-20241022', NONE],
  ['low entropy', 'x1Y2'.repeat(8), NONE],
  ['not token characters', 'Qm7xK2pL r9Tz4VbN8cWd3FhJ', NONE],
];

describe('looksLikeRandomToken', () => {
  it.each(cases)('%s', (_what, token, expected) => {
    expect({
      strict: looksLikeRandomToken(token),
      sparing: looksLikeRandomToken(token, { spareIdentifiers: true }),
    }).toEqual(expected);
  });
});

describe('looksLikeSecret (what config show masks)', () => {
  it('masks vendor keys, bearer values and random tokens, and keeps ordinary arguments', () => {
    for (const secret of ['sk-live-abc123', 'Bearer abcdef123456', 'Qm7xK2pLr9Tz4VbN8cWd3FhJ']) {
      expect(looksLikeSecret(secret), secret).toBe(true);
    }
    for (const ordinary of ['serve', '--port', '@modelcontextprotocol/server-github', 'skeleton']) {
      expect(looksLikeSecret(ordinary), ordinary).toBe(false);
    }
  });
});
