/**
 * `oxydra sessions list|show|delete|export`: the conversations stored in the workspace's
 * memory database. Ids may be shortened to any unique prefix.
 */
import { resolve } from 'node:path';
import { writeFileAtomic } from '@oxydra/config';
import { exportSessionJsonl, exportSessionMarkdown, type MemoryDatabase } from '@oxydra/memory';
import { UsageError } from '@oxydra/types';
import { EXIT_OK } from '../exit-codes.js';
import { openSessionsDatabase } from '../run/memory-command.js';

const NO_DATABASE =
  'no sessions yet: the memory database is created by the first `oxydra run` or `oxydra chat` here';

async function withDatabase<T>(use: (db: MemoryDatabase) => Promise<T>): Promise<T> {
  const db = await openSessionsDatabase();
  if (!db) throw new UsageError(NO_DATABASE);
  try {
    return await use(db);
  } finally {
    await db.close();
  }
}

const PAGE = 1000;

/** An exact id, or a unique prefix of one. */
export async function resolveSessionId(db: MemoryDatabase, idOrPrefix: string): Promise<string> {
  if (await db.sessions.get(idOrPrefix)) return idOrPrefix;
  const matches: string[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await db.sessions.list({ limit: PAGE, offset });
    for (const session of page) if (session.id.startsWith(idOrPrefix)) matches.push(session.id);
    if (page.length < PAGE) break;
  }
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new UsageError(
      `session prefix "${idOrPrefix}" matches ${matches.length} sessions; give more characters`,
    );
  }
  throw new UsageError(`no session "${idOrPrefix}"`, { hint: 'list them with `oxydra sessions list`' });
}

export async function runSessionsList(options: { json?: boolean; limit?: string }): Promise<number> {
  const db = await openSessionsDatabase();
  if (!db) {
    process.stdout.write(options.json ? '[]\n' : `${NO_DATABASE}\n`);
    return EXIT_OK;
  }
  try {
    const sessions = await db.sessions.list({ limit: Number(options.limit ?? 50) });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(sessions, null, 2)}\n`);
    } else if (sessions.length === 0) {
      process.stdout.write('no sessions yet\n');
    } else {
      for (const s of sessions) {
        const when = s.updatedAt.replace('T', ' ').slice(0, 16);
        process.stdout.write(
          `${s.id}  ${when}  ${String(s.messageCount).padStart(4)} msgs  ${s.title ?? '(untitled)'}\n`,
        );
      }
    }
    return EXIT_OK;
  } finally {
    await db.close();
  }
}

export async function runSessionsShow(id: string, options: { json?: boolean }): Promise<number> {
  return withDatabase(async (db) => {
    const sessionId = await resolveSessionId(db, id);
    process.stdout.write(
      options.json
        ? await exportSessionJsonl(db.sessions, sessionId)
        : await exportSessionMarkdown(db.sessions, sessionId),
    );
    return EXIT_OK;
  });
}

export async function runSessionsDelete(id: string): Promise<number> {
  return withDatabase(async (db) => {
    const sessionId = await resolveSessionId(db, id);
    await db.sessions.delete(sessionId);
    process.stdout.write(`deleted session ${sessionId}\n`);
    return EXIT_OK;
  });
}

export async function runSessionsExport(
  id: string,
  options: { format?: string; output?: string },
): Promise<number> {
  const format = options.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'md' && format !== 'markdown') {
    throw new UsageError(`--format ${format}: use jsonl or md`);
  }
  return withDatabase(async (db) => {
    const sessionId = await resolveSessionId(db, id);
    const text =
      format === 'jsonl'
        ? await exportSessionJsonl(db.sessions, sessionId)
        : await exportSessionMarkdown(db.sessions, sessionId);
    if (options.output === undefined) {
      process.stdout.write(text);
    } else {
      const path = resolve(options.output);
      await writeFileAtomic(path, text);
      process.stderr.write(`wrote ${path}\n`);
    }
    return EXIT_OK;
  });
}
