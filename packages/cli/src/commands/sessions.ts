/**
 * `oxydra sessions list|show|delete|export`: the conversations stored in the workspace's
 * memory database. Ids are shown in their short form (the random tail); any id argument takes
 * that, the full id, or a unique prefix.
 */
import { resolve } from 'node:path';
import { writeFileAtomic } from '@oxydra/config';
import { exportSessionJsonl, exportSessionMarkdown } from '@oxydra/memory';
import {
  type SessionStore,
  sessionIdProblem,
  sessionName,
  shortSessionId,
  shortSessionIds,
  UsageError,
} from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { type OpenedSessions, openSessions } from '../run/memory-command.js';
import { printBody } from '../run/print.js';

const NO_DATABASE =
  'no sessions yet: the memory database is created by the first `oxydra run` or `oxydra chat` here';

/** --store, over [store]: which store's sessions. */
interface StoreFlag {
  store?: string;
}

async function withDatabase<T>(flags: StoreFlag, use: (db: OpenedSessions) => Promise<T>): Promise<T> {
  const db = await openSessions(flags);
  if (!db) throw new UsageError(NO_DATABASE);
  try {
    return await use(db);
  } finally {
    await db.close();
  }
}

/** The session a typed id names: a full id, its short form (the tail shown by `list`) or a prefix. */
export async function resolveSessionId(db: { sessions: SessionStore }, typed: string): Promise<string> {
  const ids = await db.sessions.lookup(typed);
  if (ids.length === 1) return ids[0]!;
  if (ids.length > 1) throw new UsageError(sessionIdProblem(typed, ids));
  throw new UsageError(sessionIdProblem(typed, ids), { hint: 'list them with `oxydra sessions list`' });
}

export async function runSessionsList(
  options: StoreFlag & { json?: boolean; limit?: string },
): Promise<number> {
  const db = await openSessions(options);
  if (!db) {
    process.stdout.write(options.json ? '[]\n' : `${NO_DATABASE}\n`);
    return EXIT_OK;
  }
  try {
    const sessions = await db.sessions.list({ limit: Number(options.limit ?? 50) });
    if (options.json) {
      const shorts = shortSessionIds(sessions.map((s) => s.id));
      const listed = sessions.map((s) => ({ ...s, shortId: shorts.get(s.id) ?? s.id, name: sessionName(s) }));
      process.stdout.write(`${JSON.stringify(listed, null, 2)}\n`);
    } else if (sessions.length === 0) {
      process.stdout.write('no sessions yet\n');
    } else {
      const shorts = shortSessionIds(sessions.map((s) => s.id));
      const width = Math.max(...[...shorts.values()].map((short) => short.length));
      for (const s of sessions) {
        const when = s.updatedAt.replace('T', ' ').slice(0, 16);
        const id = (shorts.get(s.id) ?? s.id).padEnd(width);
        // The name is cleaned text (no escape sequence reaches the terminal); an untitled
        // session shows nothing more than its id.
        const name = sessionName(s);
        const label = name === shortSessionId(s.id) ? '' : `  ${name}`;
        process.stdout.write(`${id}  ${when}  ${String(s.messageCount).padStart(4)} msgs${label}\n`);
      }
    }
    return EXIT_OK;
  } finally {
    await db.close();
  }
}

export async function runSessionsShow(id: string, options: StoreFlag & { json?: boolean }): Promise<number> {
  return withDatabase(options, async (db) => {
    const sessionId = await resolveSessionId(db, id);
    // The conversation is a model's and other people's text: drawn as `oxydra run` draws it.
    if (options.json) process.stdout.write(await exportSessionJsonl(db.sessions, sessionId));
    else printBody(await exportSessionMarkdown(db.sessions, sessionId));
    // A spec run's directive and evaluations follow the conversation (text only: --json stays JSONL of messages).
    if (!options.json) {
      const { formatSpecRecord, loadSpecRecord } = await import('@oxydra/kernel/spec');
      const spec = await loadSpecRecord(db.sessions, sessionId);
      if (spec) printBody(`\n${formatSpecRecord(spec)}`);
    }
    return EXIT_OK;
  });
}

export async function runSessionsDelete(id: string, options: StoreFlag = {}): Promise<number> {
  return withDatabase(options, async (db) => {
    const sessionId = await resolveSessionId(db, id);
    await db.sessions.delete(sessionId);
    process.stdout.write(`deleted session ${shortSessionId(sessionId)} (${sessionId})\n`);
    return EXIT_OK;
  });
}

export async function runSessionsExport(
  id: string,
  options: StoreFlag & { format?: string; output?: string },
): Promise<number> {
  const format = options.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'md' && format !== 'markdown') {
    throw new UsageError(`--format ${format}: use jsonl or md`);
  }
  return withDatabase(options, async (db) => {
    const sessionId = await resolveSessionId(db, id);
    const text =
      format === 'jsonl'
        ? await exportSessionJsonl(db.sessions, sessionId)
        : await exportSessionMarkdown(db.sessions, sessionId);
    if (options.output === undefined) {
      // Exact into a pipe or a file; on a terminal, drawn without the text's controls.
      if (process.stdout.isTTY) printBody(text);
      else process.stdout.write(text);
    } else {
      const path = resolve(options.output);
      await writeFileAtomic(path, text);
      process.stderr.write(`wrote ${path}\n`);
    }
    return EXIT_OK;
  });
}
