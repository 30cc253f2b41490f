import type { Client } from '@libsql/client';
import { parseTaint } from '@oxydra/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LATEST_SCHEMA_VERSION,
  type MemoryDatabase,
  type Migration,
  migrate,
  openDatabase,
  openMemory,
  SchemaTooNewError,
  schemaVersion,
} from '../src/index.js';
import { MIGRATIONS } from '../src/store/libsql/migrations/index.js';
import { expectCleanExit, startTogether, type TempDir, tempDir } from './store-helpers.js';

let tmp: TempDir;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const T = '2024-05-01T10:00:00.000Z';

/**
 * Data typical of each schema version, written with that version's own SQL (not today's
 * stores), and what must still hold once the database reaches the latest version.
 * A new migration needs an entry here for the version before it.
 */
const SEEDS: Record<
  number,
  { insert(client: Client): Promise<void>; check(memory: MemoryDatabase): Promise<void> }
> = {
  1: {
    async insert(client) {
      await client.batch([
        `INSERT INTO sessions (id, title, user_id, agent, parent_session_id, created_at, updated_at)
         VALUES ('s-v1', 'Old chat', 'alice', 'default', NULL, '${T}', '${T}')`,
        `INSERT INTO conversation_events (session_id, seq, turn, role, payload, created_at) VALUES
         ('s-v1', 1, 1, 'user', '{"role":"user","content":"hello"}', '${T}'),
         ('s-v1', 2, 1, 'assistant', '{"role":"assistant","content":"hi there"}', '${T}')`,
        `INSERT INTO session_state (session_id, key, value, epoch, updated_at)
         VALUES ('s-v1', 'summary', 'they said hello', 3, '${T}')`,
      ]);
    },
    async check({ sessions }) {
      expect(await sessions.get('s-v1')).toEqual({
        id: 's-v1',
        title: 'Old chat',
        userId: 'alice',
        agent: 'default',
        createdAt: T,
        updatedAt: T,
      });
      expect(await sessions.loadMessages('s-v1')).toEqual([
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: 'hi there' },
      ]);
      expect(await sessions.getState('s-v1', 'summary')).toEqual({ value: 'they said hello', epoch: 3 });
      expect(await sessions.appendTurn('s-v1', [{ role: 'user', content: 'again' }])).toEqual({
        turn: 2,
        firstSeq: 3,
        lastSeq: 3,
        createdAt: expect.any(String),
      });
      expect(await sessions.setState('s-v1', 'summary', 'more', 3)).toBe(true);
    },
  },
  2: {
    async insert(client) {
      await client.execute(
        `INSERT INTO notes (id, user_id, content, tags, created_at, updated_at) VALUES
         ('note-00000000-0000-4000-8000-000000000001', 'alice', 'Alice prefers tabs', '["prefs","style"]', '${T}', '${T}')`,
      );
    },
    async check({ notes }) {
      const id = 'note-00000000-0000-4000-8000-000000000001';
      expect(await notes.get(id)).toEqual({
        id,
        userId: 'alice',
        content: 'Alice prefers tabs',
        tags: ['prefs', 'style'],
        createdAt: T,
        updatedAt: T,
      });
      expect((await notes.list({ tags: ['style'] })).map((n) => n.id)).toEqual([id]);
      const updated = await notes.update(id, { content: 'Alice prefers spaces now' });
      expect(updated.tags).toEqual(['prefs', 'style']);
    },
  },
  3: {
    async insert(client) {
      await client.execute(
        `INSERT INTO sessions (id, title, user_id, agent, parent_session_id, created_at, updated_at)
         VALUES ('s-v3', NULL, 'bob', NULL, NULL, '${T}', '${T}')`,
      );
    },
    async check({ sessions }) {
      // Sessions from before version 4 are active, with no channel of origin.
      const session = await sessions.get('s-v3');
      expect(session).toEqual({ id: 's-v3', userId: 'bob', createdAt: T, updatedAt: T });
      expect(await sessions.count({ userId: 'bob', archived: false })).toBe(1);
      expect(await sessions.archive('s-v3')).toBe(true);
      expect((await sessions.get('s-v3'))?.archivedAt).toMatch(/^\d{4}-/);
    },
  },
  4: {
    async insert(client) {
      await client.execute(
        `INSERT INTO sessions (id, title, user_id, agent, parent_session_id, created_at, updated_at, archived_at, channel_origin)
         VALUES ('s-v4', 'From chat', 'carol', NULL, NULL, '${T}', '${T}', '${T}', 'telegram')`,
      );
    },
    async check({ sessions, state }) {
      expect(await sessions.get('s-v4')).toEqual({
        id: 's-v4',
        title: 'From chat',
        userId: 'carol',
        createdAt: T,
        updatedAt: T,
        archivedAt: T,
        channelOrigin: 'telegram',
      });
      // Version 5 adds kernel state, empty at first.
      expect(await state.list('scheduler')).toEqual([]);
      expect(await state.save('scheduler', 'last-run', { at: T })).toEqual({ version: 1 });
      expect((await state.load('scheduler', 'last-run'))?.value).toEqual({ at: T });
    },
  },
  5: {
    async insert(client) {
      await client.execute(
        `INSERT INTO sessions (id, title, user_id, agent, parent_session_id, created_at, updated_at)
         VALUES ('s-v5', NULL, 'dave', NULL, NULL, '${T}', '${T}')`,
      );
    },
    async check({ client, sessions }) {
      // Version 6 numbers sessions by generation: an old session keeps its rowid as its number...
      const rowid = Number(
        (await client.execute("SELECT rowid FROM sessions WHERE id = 's-v5'")).rows[0]?.rowid,
      );
      const old = await sessions.stamp('s-v5');
      expect(old?.generation).toBe(String(rowid));
      // ...and deleting the newest row then making it again (same id, and SQLite's same rowid)
      // gives a number no session had.
      expect(await sessions.delete('s-v5')).toBe(true);
      await sessions.create({ id: 's-v5', userId: 'dave' });
      const again = await sessions.stamp('s-v5');
      expect(
        Number((await client.execute("SELECT rowid FROM sessions WHERE id = 's-v5'")).rows[0]?.rowid),
      ).toBe(rowid);
      expect(Number(again?.generation)).toBeGreaterThan(rowid);
    },
  },
  6: {
    async insert(client) {
      const event = (session: string, seq: number, role: string, message: object) =>
        `('${session}', ${seq}, 1, '${role}', '${JSON.stringify({ role, ...message }).replaceAll("'", "''")}', '${T}')`;
      const chunk = (session: string | null, type: string, id: string, text: string) =>
        `('${type}', '${id}', ${session === null ? 'NULL' : `'${session}'`}, NULL, 0, '${text}', 'h-${text}', '[]', '${T}')`;
      await client.batch([
        // Below the other seeds' rowids: version 5's check needs its session to be the newest row.
        `INSERT INTO sessions (rowid, id, created_at, updated_at)
         VALUES (-2, 's-v6-web', '${T}', '${T}'), (-1, 's-v6-clean', '${T}', '${T}')`,
        `INSERT INTO conversation_events (session_id, seq, turn, role, payload, created_at) VALUES
         ${event('s-v6-web', 1, 'user', { content: 'read the page' })},
         ${event('s-v6-web', 2, 'tool', { toolCallId: 'c1', toolName: 'web_fetch', content: 'page', provenance: { kind: 'web', source: 'https://evil.example/p' } })},
         ${event('s-v6-web', 3, 'tool', { toolCallId: 'c2', toolName: 'file_read', content: 'f', provenance: { kind: 'workspace_file', source: 'a.txt' } })},
         ${event('s-v6-web', 4, 'assistant', { content: 'the page says run curl' })},
         ${event('s-v6-clean', 1, 'user', { content: '"provenance":{"kind":"web","source":"forged"}' })},
         ${event('s-v6-clean', 2, 'tool', { toolCallId: 'c3', toolName: 'x', content: 'y', provenance: { kind: 'user' } })},
         ${event('s-v6-clean', 3, 'assistant', { content: 'all clean' })}`,
        `INSERT INTO chunks (source_type, source_id, session_id, user_id, ordinal, text, content_hash, tags, created_at) VALUES
         ${chunk('s-v6-web', 'conversation', 's-v6-web', 'read the page')},
         ${chunk('s-v6-web', 'conversation', 's-v6-web', 'the page says run curl')},
         ${chunk('s-v6-clean', 'conversation', 's-v6-clean', 'all clean')},
         ${chunk(null, 'note', 'n-v6', 'an old note')}`,
      ]);
    },
    async check({ client }) {
      // Version 7: a conversation chunk written before it carries every kind its session's
      // stored messages held, from any point (the prompt's too: which came first is not known).
      const rows = await client.execute('SELECT text, taint FROM chunks ORDER BY text');
      const taint = Object.fromEntries(rows.rows.map((row) => [String(row.text), parseTaint(row.taint)]));
      const held = [
        { kind: 'web', source: 'https://evil.example/p' },
        { kind: 'workspace_file', source: 'a.txt' },
      ];
      expect(taint['read the page']).toEqual(held);
      expect(taint['the page says run curl']).toEqual(held);
      // Text a message quotes is no provenance, nor is the operator's own; notes had none.
      expect(taint['all clean']).toBeUndefined();
      expect(taint['an old note']).toBeUndefined();
    },
  },
};

async function schemaOf(client: Client): Promise<string[]> {
  const result = await client.execute(
    "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
  );
  return result.rows.map(
    (row) => `${row.type} ${row.name} ON ${row.tbl_name}: ${String(row.sql).replace(/\s+/g, ' ')}`,
  );
}

async function recorded(client: Client): Promise<Array<{ version: number; name: string }>> {
  const result = await client.execute('SELECT version, name FROM schema_migrations ORDER BY version');
  return result.rows.map((row) => ({ version: Number(row.version), name: String(row.name) }));
}

const allRecorded = () => MIGRATIONS.map((m) => ({ version: m.version, name: m.name }));

describe('migrate', () => {
  it('takes an empty database to the latest version, recording every step, and is idempotent', async () => {
    const client = await openDatabase({ path: tmp.path('fresh.db') });
    try {
      expect(await schemaVersion(client)).toBe(0);
      const first = await migrate(client);
      expect(first).toEqual({
        from: 0,
        to: LATEST_SCHEMA_VERSION,
        applied: MIGRATIONS.map((m) => m.version),
      });
      expect(await recorded(client)).toEqual(allRecorded());
      expect(await migrate(client)).toEqual({
        from: LATEST_SCHEMA_VERSION,
        to: LATEST_SCHEMA_VERSION,
        applied: [],
      });
      const tables = (await schemaOf(client)).filter((line) => line.startsWith('table '));
      for (const name of [
        'sessions',
        'conversation_events',
        'session_state',
        'notes',
        'kernel_state',
        'schema_migrations',
      ]) {
        expect(tables.some((line) => line.startsWith(`table ${name} `))).toBe(true);
      }
    } finally {
      client.close();
    }
  });

  it('declares LATEST_SCHEMA_VERSION as the number of migrations (bump it with each new one)', () => {
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('has a seed for every version before the latest (add one with each new migration)', () => {
    for (let version = 1; version < LATEST_SCHEMA_VERSION; version++) {
      expect(SEEDS[version], `SEEDS[${version}] in store-migrations.test.ts`).toBeDefined();
    }
  });

  for (let from = 1; from < LATEST_SCHEMA_VERSION; from++) {
    it(`migrates a version ${from} database with data to the latest, keeping the data and ending with the same schema`, async () => {
      const reference = await openDatabase({ path: tmp.path('reference.db') });
      await migrate(reference);
      const expectedSchema = await schemaOf(reference);
      reference.close();

      const path = tmp.path(`v${from}.db`);
      const old = await openDatabase({ path });
      expect(await migrate(old, { migrations: MIGRATIONS.slice(0, from) })).toMatchObject({ to: from });
      for (let version = 1; version <= from; version++) await SEEDS[version]?.insert(old);
      old.close();

      const memory = await openMemory({ path });
      try {
        expect(memory.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
        expect(await recorded(memory.client)).toEqual(allRecorded());
        expect(await schemaOf(memory.client)).toEqual(expectedSchema);
        for (let version = 1; version <= from; version++) await SEEDS[version]?.check(memory);
        // The newest tables work too.
        const session = await memory.sessions.create({ title: 'after migration' });
        await memory.sessions.appendTurn(session.id, [{ role: 'user', content: 'works' }]);
        expect(await memory.sessions.countMessages(session.id)).toBe(1);
        expect((await memory.notes.save({ content: 'new note' })).id).toMatch(/^note-/);
        expect(await memory.state.save('after-migration', 'works', [1, 'two'])).toEqual({ version: 1 });
      } finally {
        await memory.close();
      }
    });
  }

  it('refuses a database newer than this code, telling the user to upgrade, and leaves it alone', async () => {
    const path = tmp.path('future.db');
    const client = await openDatabase({ path });
    await migrate(client);
    const future = LATEST_SCHEMA_VERSION + 1;
    await client.execute({
      sql: "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from-the-future', '2099-01-01')",
      args: [future],
    });
    client.close();

    const error = await openMemory({ path }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaTooNewError);
    expect(error).toMatchObject({ code: 'config_error', found: future, supported: LATEST_SCHEMA_VERSION });
    expect((error as Error).message).toBe(
      `memory database ${path} has schema version ${future}, but this Oxydra understands versions up to ${LATEST_SCHEMA_VERSION}: upgrade Oxydra to open it`,
    );

    const again = await openDatabase({ path });
    expect((await recorded(again)).at(-1)).toEqual({ version: future, name: 'from-the-future' });
    // Older code (knowing fewer migrations) refuses it as well.
    await expect(migrate(again, { migrations: MIGRATIONS.slice(0, 1) })).rejects.toBeInstanceOf(
      SchemaTooNewError,
    );
    again.close();
  });

  it('applies the pending steps in one transaction: one that fails leaves the file as it was', async () => {
    const client = await openDatabase({ path: tmp.path('broken.db') });
    try {
      const broken: Migration = {
        version: 2,
        name: 'broken',
        statements: ['CREATE TABLE half_done (x)', 'THIS IS NOT SQL'],
      };
      const first = MIGRATIONS[0]!;
      await expect(migrate(client, { migrations: [first, broken], label: 'b.db' })).rejects.toThrow(
        /^memory database b\.db: migration 2 \(broken\) failed: /,
      );
      // Step 1 was pending too: it is rolled back with the failing one (an upgrade is all or nothing).
      expect(await schemaVersion(client)).toBe(0);
      const leftover = await client.execute(
        "SELECT name FROM sqlite_master WHERE name IN ('half_done', 'sessions', 'schema_migrations')",
      );
      expect(leftover.rows).toHaveLength(0);
      // From version 1, the failing step alone is rolled back.
      await migrate(client, { migrations: [first], label: 'b.db' });
      await expect(migrate(client, { migrations: [first, broken], label: 'b.db' })).rejects.toThrow(/broken/);
      expect(await schemaVersion(client)).toBe(1);
    } finally {
      client.close();
    }
  });

  it('refuses a migration list that skips a version', async () => {
    const client = await openDatabase({ path: tmp.path('gap.db') });
    try {
      await expect(migrate(client, { migrations: [MIGRATIONS[1]!] })).rejects.toThrow('expected 1');
    } finally {
      client.close();
    }
  });

  it('lets several processes open one fresh file at once: each step is applied exactly once', async () => {
    const path = tmp.path('race.db');
    const children = await startTogether([1, 2, 3, 4].map(() => ['open', path]));
    const reports = await Promise.all(
      children.map(async (child) => {
        const line = await child.nextLine('result ');
        await expectCleanExit(child);
        return JSON.parse(line.slice('result '.length)) as { from: number; to: number; applied: number[] };
      }),
    );
    for (const report of reports) expect(report.to).toBe(LATEST_SCHEMA_VERSION);
    const applied = reports.flatMap((report) => report.applied).sort((a, b) => a - b);
    expect(applied).toEqual(MIGRATIONS.map((m) => m.version));
    const client = await openDatabase({ path });
    expect(await recorded(client)).toEqual(allRecorded());
    expect((await client.execute('PRAGMA integrity_check')).rows[0]?.[0]).toBe('ok');
    client.close();
  });
});
