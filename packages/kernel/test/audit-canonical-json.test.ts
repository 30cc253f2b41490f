/**
 * The canonical JSON an audit entry's action is hashed as (services/audit/entry.ts): keys sorted
 * at every level in code-unit order, for objects of a few keys (sorted in place) and of many
 * (Array.prototype.sort), so a stored chain's hashes stay what they were.
 */
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/services/audit/entry.js';

/** The encoding as first written: a sorted copy with Array.prototype.sort, then JSON.stringify. */
function reference(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reference);
  if (value === null || typeof value !== 'object') return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) sorted[key] = reference(field);
  }
  return sorted;
}

describe('canonicalJson', () => {
  it('sorts keys at every level by code units, dropping undefined fields', () => {
    const value = {
      type: 'agent_spawn',
      data: { name: 'a', parent: 'p', Z: 1, é: 2, '10': 3, '9': 4, ab: [{ y: 1, x: undefined, w: null }] },
    };
    expect(canonicalJson(value)).toBe(
      '{"data":{"9":4,"10":3,"Z":1,"ab":[{"w":null,"y":1}],"name":"a","parent":"p","é":2},"type":"agent_spawn"}',
    );
  });

  it('encodes as a sorted copy would, for a few keys and for many, in every order', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 200; round++) {
      const size = Math.floor(random() * 40);
      const value: Record<string, unknown> = {};
      for (let i = 0; i < size; i++) {
        const key = String.fromCharCode(
          ...Array.from({ length: 1 + Math.floor(random() * 3) }, () => 48 + Math.floor(random() * 80)),
        );
        value[key] = random() < 0.2 ? { [key]: i, a: [i, { c: 1, b: 2 }] } : i;
      }
      expect(canonicalJson(value)).toBe(JSON.stringify(reference(value)));
    }
  });
});
