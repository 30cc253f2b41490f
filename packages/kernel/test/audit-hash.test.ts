/**
 * An audit entry's hash (services/audit/entry.ts): BLAKE3 of the canonical array, as hash-wasm's
 * own lowercase hex digest gives it, whatever the text holds.
 */
import { createRequire } from 'node:module';
import type { IHasher } from 'hash-wasm';
import { describe, expect, it } from 'vitest';
import { EntryHasher } from '../src/services/audit/entry.js';

describe('EntryHasher', () => {
  it("hashes as hash-wasm's hex digest of the JSON array [domain, seq, ts, actor, action, resource, prev]", async () => {
    const { createBLAKE3 } = createRequire(import.meta.url)('hash-wasm/dist/blake3.umd.min.js') as {
      createBLAKE3(): Promise<IHasher>;
    };
    const reference = await createBLAKE3();
    const hasher = await EntryHasher.create();
    const cases: [number, string, string, string, string, string][] = [
      [1, '2026-11-29T09:00:00.000Z', 'agent:a1', '{"data":{},"type":"agent_spawn"}', '', 'genesis'],
      [
        2,
        '2026-11-29T09:00:00.001Z',
        'user:ünïcödé ☃',
        '{"data":{"x":"\\u0000"},"type":"t"}',
        'a/b.txt',
        'f'.repeat(64),
      ],
      [3, '', '', '', 'x'.repeat(5000), ''],
    ];
    for (const [seq, ts, actor, action, resource, prev] of cases) {
      reference.init();
      reference.update(JSON.stringify(['oxydra-audit-v1', seq, ts, actor, action, resource, prev]));
      const expected = reference.digest('hex');
      expect(expected).toMatch(/^[0-9a-f]{64}$/);
      expect(hasher.hash(seq, ts, actor, action, resource, prev)).toBe(expected);
    }
  });
});
