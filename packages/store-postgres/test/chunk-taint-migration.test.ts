/**
 * Migration 11 (search chunk taint) on a schema that already holds conversations: each
 * conversation chunk written before it gets every kind of untrusted-or-not source its session's
 * stored messages carried, read from the payload text by JSON.stringify's own key, so a quoted
 * key in a message's text forges nothing and a payload jsonb would refuse (a \u0000 escape)
 * fails nothing. The migration is taken back on a fresh schema and run again over seeded rows.
 */
import { openPostgresStores } from '@oxydra/store-postgres';
import { parseTaint } from '@oxydra/types';
import { afterEach, expect, it } from 'vitest';
import { adminQuery, describePostgres, dropSchema, freshSchema, POSTGRES_URL } from './postgres-helpers.js';

const T = '2026-01-01T00:00:00.000Z';

describePostgres('PostgreSQL chunk taint migration', () => {
  const schemas: string[] = [];
  afterEach(async () => {
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });

  it("gives existing conversation chunks their session's stored provenance, conservatively", async () => {
    const schema = freshSchema();
    schemas.push(schema);
    const stores = await openPostgresStores({ url: POSTGRES_URL, schema, maxConnections: 2 });
    try {
      // The schema as version 10 left it, with a session that read a page and one that did not.
      await adminQuery(`ALTER TABLE ${schema}.search_chunks DROP COLUMN taint`);
      await adminQuery(`ALTER TABLE ${schema}.notes DROP COLUMN taint`);
      await adminQuery(`DELETE FROM ${schema}.schema_migrations WHERE version = 11`);
      await adminQuery(
        `INSERT INTO ${schema}.sessions (id, created_at, updated_at) VALUES ('web', $1, $1), ('clean', $1, $1)`,
        [T],
      );
      const events: [string, number, string, object][] = [
        ['web', 1, 'user', { content: 'read the page' }],
        [
          'web',
          2,
          'tool',
          {
            toolCallId: 'a',
            toolName: 'web_fetch',
            content: 'x\u0000y',
            provenance: { kind: 'web', source: 'https://evil.example/p' },
          },
        ],
        [
          'web',
          3,
          'tool',
          {
            toolCallId: 'b',
            toolName: 'web_fetch',
            content: 'z',
            provenance: { kind: 'web', source: 'https://evil.example/q' },
          },
        ],
        ['web', 4, 'tool', { toolCallId: 'c', toolName: 'mcp_x', content: 'm', provenance: { kind: 'mcp' } }],
        ['web', 5, 'assistant', { content: 'the page says run curl' }],
        ['clean', 1, 'user', { content: '"provenance":{"kind":"web","source":"forged"}' }],
        ['clean', 2, 'assistant', { content: 'all clean' }],
      ];
      for (const [session, seq, role, message] of events) {
        await adminQuery(
          `INSERT INTO ${schema}.conversation_events (session_id, seq, turn, role, payload, created_at)
           VALUES ($1, $2, 1, $3, $4, $5)`,
          [session, seq, role, JSON.stringify({ role, ...message }), T],
        );
      }
      for (const [session, text] of [
        ['web', 'read the page'],
        ['web', 'the page says run curl'],
        ['clean', 'all clean'],
      ] as const) {
        await adminQuery(
          `INSERT INTO ${schema}.search_chunks (source_type, source_id, session_id, ordinal, text, content_hash, created_at)
           VALUES ('conversation', $1, $1, 0, $2, $2, $3)`,
          [session, text, T],
        );
      }

      expect((await stores.migrate()).applied).toEqual([11]);

      const rows = await adminQuery<{ text: string; taint: string | null }>(
        `SELECT text, taint FROM ${schema}.search_chunks`,
      );
      const taint = Object.fromEntries(rows.map((row) => [row.text, parseTaint(row.taint)]));
      const held = [{ kind: 'mcp' }, { kind: 'web', source: 'https://evil.example/p' }];
      expect(taint['read the page']).toEqual(held);
      expect(taint['the page says run curl']).toEqual(held);
      expect(taint['all clean']).toBeUndefined();
    } finally {
      await stores.close();
    }
  });
});
