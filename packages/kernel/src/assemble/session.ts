/**
 * Opening the stored conversation an agent runs in: a new session, or an existing one named by
 * full id, short id or prefix (a new name creates it). With a user, what the session stores is
 * that user's and recall searches only that user's notes and conversations.
 */
import type { AgentRunOptions } from '@oxydra/runtime';
import {
  type Message,
  type NewSession,
  type StoredSession,
  sessionIdProblem,
  UsageError,
} from '@oxydra/types';
import type { BudgetAccount } from '../services/budget-accounts.js';
import type { SpawnSpec } from '../types.js';
import type { KernelBase } from './base.js';
import { sessionHooks, type WorkspaceMemory } from './memory.js';

export interface OpenedSession {
  id: string;
  /** The conversation so far (empty for a new session). */
  history: Message[];
  /** The runtime hooks that persist, recall and summarise for this session. */
  options: Partial<AgentRunOptions>;
}

const SESSION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Refuses a session name that cannot be stored, before anything runs. */
export function checkSessionName(base: KernelBase, id: string | undefined): void {
  if (id === undefined) return;
  if (!base.memory) {
    throw new UsageError('--session needs memory, and [memory] enabled = false', {
      hint: 'remove --session, or enable memory (OXYDRA__MEMORY__ENABLED=true)',
    });
  }
  if (!SESSION_ID.test(id)) {
    throw new UsageError(`--session ${JSON.stringify(id)}: use 1-128 letters, digits, ".", "_", ":" or "-"`);
  }
}

export async function openSession(
  base: KernelBase,
  memory: WorkspaceMemory,
  request: {
    id?: string;
    userId?: string;
    agent?: string;
    parentSessionId?: string;
    /** SpawnSpec.sessionWrites. */
    writes?: SpawnSpec['sessionWrites'];
    /** The account the summary model's calls are charged to (the turn's, asked at each call). */
    payer?: () => BudgetAccount | undefined;
  },
): Promise<OpenedSession> {
  const { id, userId } = request;
  const scope = userId !== undefined ? { userId } : {};
  const fields = {
    ...(request.agent !== undefined ? { agent: request.agent } : {}),
    ...(request.parentSessionId !== undefined ? { parentSessionId: request.parentSessionId } : {}),
    ...scope,
  };
  // The session named by its full id (a continued conversation: most turns) is read once, before
  // anything else: its row and its history's stamp in one statement (SessionStore.stamp with
  // `session`), then only what is new of its history. Its row is used when the user's lookup
  // would name that id (found, and the user's or no user given: the lookup's exact match), so the
  // lookup is asked only when it is not (a new name, a short id or prefix, another user's id);
  // the user check below applies to it as to the row getOrCreate reads. On a database server:
  // one statement where the row, the lookup and the stamp were three, on three connections.
  const early = id === undefined ? undefined : memory.histories.opened(id);
  early?.catch(() => {});
  const session =
    id === undefined
      ? await memory.db.sessions.create(fields)
      : await openNamed(memory, id, scope, fields, early);
  // Created just now: nothing stored under it yet (no audit head copy, no summary) to read.
  if (id === undefined) base.audit.sessionCreated(session.id);
  // A user's agents never continue someone else's conversation, whatever id they are given (a
  // full id is not found by the user-scoped lookup, but getOrCreate would open it). Only a run
  // without a user (the workspace's owner) may continue any session.
  if (userId !== undefined && session.userId !== userId) throw foreignSession(id);
  return {
    id: session.id,
    // Only what changed since the session's last turn is read (session-history.ts).
    history:
      id === undefined
        ? []
        : session.id === id && early
          ? // Created just now (not there when read early): read again.
            await early.then(
              (opened) => opened.messages,
              () => memory.histories.load(session.id),
            )
          : await memory.histories.load(session.id),
    options: sessionHooks(memory, {
      sessionId: session.id,
      ...(id === undefined ? { created: true } : {}),
      ...scope,
      config: base.config,
      summarize: (messages, previous, signal) => {
        const call = () => base.summarize(messages, previous, signal);
        const account = request.payer?.();
        return account ? account.sideCall(call) : call().then((answer) => answer.text);
      },
      secrets: base.secrets,
      warn: base.warn,
      ...(request.writes ? { writes: request.writes } : {}),
    }),
  };
}

/** The session `id` names (the row read early when it is that one), created when there is none. */
async function openNamed(
  memory: WorkspaceMemory,
  id: string,
  scope: { userId?: string },
  fields: Omit<NewSession, 'id'>,
  early: Promise<{ session: StoredSession }> | undefined,
): Promise<StoredSession> {
  const row = await early?.then(
    (opened) => opened.session,
    () => undefined,
  );
  // The lookup's exact match: it would answer [id] (SessionStore.lookup reads the exact id first).
  if (row && (scope.userId === undefined || row.userId === scope.userId)) return row;
  const named = await sessionNamed(memory, id, scope);
  const found = named === id ? row : undefined;
  if (found) return found;
  // A name no session of this user's has: created, unless it is another user's default session.
  // The ownership rule's module is loaded for a user's scope only: the workspace's owner (the
  // CLI, an owner token) may use every session, so a one-shot run does not load it.
  if (scope.userId !== undefined) {
    const { mayUse, reservedForOther } = await import('../services/session-access.js');
    if (reservedForOther(named, scope)) {
      const theirs = await memory.db.sessions.get(named);
      if (!theirs || !mayUse(theirs.userId, scope)) throw foreignSession(id);
      return theirs;
    }
  }
  return memory.db.sessions.getOrCreate(named, fields);
}

/** The refusal for a session of another user's, named by its id (or kept for them). */
function foreignSession(id: string | undefined): UsageError {
  return new UsageError(`session ${JSON.stringify(id)} belongs to another user`, {
    hint: 'continue one of your own sessions, or start a new one',
  });
}

/**
 * The stored session a value names (full id, short id or prefix), else the value itself: a
 * session of that name is created. Ambiguous values are refused, listing the candidates.
 */
export async function sessionNamed(
  memory: WorkspaceMemory,
  typed: string,
  scope: { userId?: string },
): Promise<string> {
  const ids = await memory.db.sessions.lookup(typed, scope);
  if (ids.length === 1) return ids[0]!;
  if (ids.length === 0) return typed;
  throw new UsageError(`--session: ${sessionIdProblem(typed, ids)}`);
}
