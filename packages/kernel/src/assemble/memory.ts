/**
 * The workspace's memory for a run: the libSQL database at memory.db_path (or a remote libSQL
 * server), the embedder, hybrid retrieval, the memory tools, and the runtime hooks that make a
 * run a durable session (every turn committed as it completes), recall relevant notes and
 * earlier conversations, and keep a rolling summary of long sessions.
 */
import { existsSync } from 'node:fs';
import {
  createEmbedder,
  createMemoryTools,
  deferredMemory,
  deferredRetriever,
  type MemoryDatabase,
  openMemory,
  Retriever,
  type RetrieverCalls,
  type RetrieverOptions,
} from '@oxydra/memory';
import { resolveCredential } from '@oxydra/provider/core';
import type { AgentRunOptions, Recalled } from '@oxydra/runtime';
import { redactLiterals } from '@oxydra/tools';
import {
  type AgentConfig,
  type AppendedTurn,
  ConfigError,
  chunkTaint,
  didYouMean,
  type Embedder,
  type Message,
  type NoteStore,
  type Provenance,
  type SearchHit,
  type SessionStore,
  type Tool,
  type TurnEndWrites,
  UsageError,
} from '@oxydra/types';
import { claimMemory, memoryLocation, WRITE_FIX, writeProblem } from '../store/state-origin.js';
import type { KernelStores, SpawnSpec } from '../types.js';
import { keptSize, withKeptSize } from './embedder-size.js';
import type { HistoryStore, SessionHistories, SessionHistoryOptions } from './session-history.js';

const SUMMARY_STATE_KEY = 'rolling_summary';

export interface WorkspaceMemory {
  db: MemoryDatabase;
  retriever: RetrieverCalls;
  embedder: Embedder;
  tools: Tool[];
  /**
   * Live sessions' conversations between turns (session-history.ts): opening a stored session
   * reads only what changed since its last turn. Held: see heldHistories.
   */
  histories: Pick<SessionHistories, 'load' | 'opened' | 'appended' | 'has' | 'clear'>;
  /**
   * Whether recall may find anything outside `sessionId` (recallGate): false while the
   * workspace holds no note and no other session, so such a run embeds and searches nothing.
   */
  recallable(sessionId: string): Promise<boolean>;
  /**
   * Work that may finish after the call that started it has returned (making a committed turn
   * searchable): close() waits for it, and the retriever's searches wait for its writes.
   */
  inBackground(work: Promise<unknown>): void;
  /** Waits for the background work, then closes the database. */
  close(): Promise<void>;
}

/**
 * A database on a read-only mount or in someone else's folder fails deep inside libSQL
 * (SQLITE_READONLY, or ENOENT from mkdir); say so before opening it, with the way out.
 */
function assertWritable(location: ReturnType<typeof memoryLocation>): void {
  if (!('path' in location)) return;
  const problem = writeProblem(location.path);
  if (problem) {
    throw new UsageError(`the memory database ${location.path} is ${problem}`, {
      hint: `${WRITE_FIX}; or run without memory: --set memory.enabled=false`,
    });
  }
}

/**
 * The embedder [memory] asks for, with the credentials of its provider entry; for an API
 * backend, `identity` names its server and model (embedder-size.ts keeps a size per identity).
 */
async function embedderFor(
  config: AgentConfig,
  env: NodeJS.ProcessEnv,
): Promise<{ embedder: Embedder; identity?: string }> {
  const {
    embedding_backend: backend,
    embedding_provider,
    embedding_model,
    model2vec_model,
    embedding_timeout_secs,
  } = config.memory;
  if (backend === 'openai' || backend === 'gemini') {
    const name = embedding_provider ?? backend;
    const entry = config.providers.registry[name];
    if (!entry) {
      const known = Object.keys(config.providers.registry);
      throw new ConfigError(
        `memory.embedding_provider "${name}" is not in [providers.registry]${didYouMean(name, known)} (known: ${known.join(', ')})`,
        { keyPath: 'memory.embedding_provider' },
      );
    }
    // The same rule as chat: a custom base_url gets only the key the user set for that entry.
    const credential = resolveCredential(entry, env);
    const embedder = await createEmbedder({
      backend,
      providerName: name,
      ...(embedding_model ? { model: embedding_model } : {}),
      ...(entry.base_url ? { baseURL: entry.base_url } : {}),
      ...(credential ? { apiKey: credential.apiKey } : {}),
      ...(Object.keys(entry.extra_headers).length > 0 ? { extraHeaders: entry.extra_headers } : {}),
      timeoutMs: embedding_timeout_secs * 1000,
    });
    return { embedder, identity: `${entry.base_url ?? backend}\n${embedder.modelId}` };
  }
  return { embedder: await createEmbedder({ backend, model2vecModel: model2vec_model }) };
}

export async function openWorkspaceMemory(
  config: AgentConfig,
  workspace: string,
  env: NodeJS.ProcessEnv,
  onEmbedUsage?: RetrieverOptions['onEmbedUsage'],
  histories: SessionHistoryOptions = {},
  stores: Partial<Pick<KernelStores, 'sessions' | 'notes' | 'searchIndex'>> = {},
): Promise<WorkspaceMemory> {
  const location = memoryLocation(config, workspace);
  assertWritable(location);
  // A local database that exists is claimed and opened now (a foreign one set aside, a too-new
  // schema refused at start, as ever); one that does not is created at its first use, claimed
  // right before, so a gateway in a new workspace is ready without creating it. Not with a
  // host's session store (PostgreSQL), whose readiness the probe asks of it.
  const deferred = 'path' in location && !stores.sessions && !existsSync(location.path);
  if (!deferred) claimMemory(location);
  const made = await embedderFor(config, env);
  const opened =
    deferred && 'path' in location
      ? deferredMemory({ path: location.path, beforeCreate: () => claimMemory(location) })
      : await openMemory(location);
  // A model of unknown size: the size an earlier process learnt, if one did (a new database keeps none).
  const kept =
    made.identity !== undefined && made.embedder.dimensions === 0
      ? keptSize(() => opened.state, made.identity)
      : undefined;
  const size = kept && !deferred ? await kept.load() : undefined;
  const embedder = kept && size ? withKeptSize(made.embedder, size, kept) : made.embedder;
  // A host's own stores (KernelOptions.stores) replace the file's.
  const db: MemoryDatabase = {
    client: opened.client,
    sessions: stores.sessions ?? opened.sessions,
    notes: stores.notes ?? opened.notes,
    // Not spread: the state store is made at its first use (most runs never use it).
    get state() {
      return opened.state;
    },
    schemaVersion: opened.schemaVersion,
    counts: () => opened.counts(),
    close: () => opened.close(),
  };
  const { top_k: topK, vector_weight: vectorWeight, fts_weight: ftsWeight } = config.memory.retrieval;
  // The index is opened for the model's vector size: one the model is not known by is learnt
  // from its first answer, at the first search or indexing (deferredRetriever), not here, so a
  // failing embedding server fails those (warned, best effort), not every run at its start.
  const makeRetriever = () =>
    new Retriever(
      stores.searchIndex
        ? stores.searchIndex({ id: embedder.modelId, dimensions: embedder.dimensions })
        : db.client,
      embedder,
      { topK, vectorWeight, ftsWeight, ...(onEmbedUsage ? { onEmbedUsage } : {}) },
    );
  const retriever =
    embedder.dimensions > 0
      ? makeRetriever()
      : deferredRetriever(async () => {
          if (embedder.dimensions === 0) {
            await embedder.embed(['dimensions probe']);
            await kept?.save(embedder.dimensions);
          }
          return makeRetriever();
        });
  // Notes are indexed when saved and dropped from the index when deleted, after each commit.
  db.notes.setChangeHook(async (event) => {
    if (event.type === 'saved') {
      await retriever.indexNote({
        id: event.note.id,
        content: event.note.content,
        tags: event.note.tags,
        ...(event.note.userId ? { userId: event.note.userId } : {}),
        ...(event.note.taint ? { taint: event.note.taint } : {}),
      });
    } else {
      await retriever.removeSource('note', event.note.id);
    }
  });
  const tools = createMemoryTools({
    notes: db.notes,
    search: (query) => retriever.search(query),
    state: {
      get: (sessionId, key) => db.sessions.getState(sessionId, key),
      set: (sessionId, key, value, epoch) => db.sessions.setState(sessionId, key, value, epoch),
    },
  });
  const background = new Set<Promise<unknown>>();
  const cache = heldHistories(db.sessions, histories);
  return {
    db,
    retriever,
    embedder,
    tools,
    histories: cache,
    recallable: recallGate(db),
    inBackground(work) {
      const tracked = work.then(
        () => {},
        () => {},
      );
      background.add(tracked);
      void tracked.then(() => background.delete(tracked));
    },
    async close() {
      cache.clear();
      while (background.size > 0) await Promise.all(background);
      await db.close();
    },
  };
}

/**
 * Whether recall can find anything: the search index holds notes and the conversations of stored
 * sessions only (a session's chunks go with it), and recall leaves out the current session, so a
 * workspace with no note and no other session has nothing to recall. A first run in a folder (and
 * any run there until a note or a second session exists) then neither embeds its query (a paid
 * request with a remote embedder) nor loads the search side of the index. Asked through the
 * stores' contracts, so it holds for a host's own stores (PostgreSQL) too. Once something was
 * found the answer is kept for the memory's life: notes and sessions are rarely all deleted, and
 * a search that then finds nothing is what would have happened without this gate.
 */
function recallGate(db: {
  sessions: Pick<SessionStore, 'list'>;
  notes: Pick<NoteStore, 'list'>;
}): (sessionId: string) => Promise<boolean> {
  let found = false;
  return async (sessionId) => {
    if (found) return true;
    // Any user's note or session counts (the cheap question, erring towards searching): two
    // sessions at most, newest first (an index), answer whether one is not the current one. Both
    // asked at once: one round trip on a server store instead of two one after the other, for a
    // note read that a found session makes moot (until something is found, as this asks only then).
    const [sessions, notes] = await Promise.all([
      db.sessions.list({ limit: 2 }),
      db.notes.list({ limit: 1 }),
    ]);
    found = sessions.some((session) => session.id !== sessionId) || notes.length > 0;
    return found;
  };
}

/**
 * The session history cache, held: its module loads at the first opening of a stored session, so
 * a run in a new session (a one-shot `oxydra run`) never loads it. Until then nothing is cached,
 * and an appended turn has nothing to extend (the cache ignores a session it does not hold): the
 * first opening reads the log, as it does for any session the cache does not hold.
 */
function heldHistories(store: HistoryStore, options: SessionHistoryOptions): WorkspaceMemory['histories'] {
  let cache: SessionHistories | undefined;
  let opening: Promise<SessionHistories> | undefined;
  const held = () =>
    (opening ??= import('./session-history.js').then(
      ({ SessionHistories }) => (cache = new SessionHistories(store, options)),
    ));
  return {
    load: async (sessionId) => (await held()).load(sessionId),
    opened: async (sessionId) => (await held()).opened(sessionId),
    appended: (sessionId, turn, stored) => cache?.appended(sessionId, turn, stored),
    has: (sessionId) => cache?.has(sessionId) ?? false,
    clear: () => cache?.clear(),
  };
}

/**
 * A stored conversation read whole, ready to send again: attachment bytes are never stored, so
 * say so. Turns open sessions through `memory.histories`, which reads only what is new.
 */
export async function loadHistory(memory: WorkspaceMemory, sessionId: string): Promise<Message[]> {
  const [messages, { historyMessage }] = await Promise.all([
    memory.db.sessions.loadMessages(sessionId),
    import('./session-history.js'),
  ]);
  return messages.map(historyMessage);
}

export interface SessionHookOptions {
  sessionId: string;
  /** The session was created for this run: no summary is stored until this run saves one. */
  created?: boolean;
  userId?: string;
  config: AgentConfig;
  /** Writes a summary with a model; absent, the runtime's mechanical summary is used. */
  summarize?: NonNullable<AgentRunOptions['summarization']>['summarize'];
  /** Non-fatal problems (indexing failures), one line each. */
  warn: (message: string) => void;
  /** Configured secret values: replaced before anything is stored, even if a user pasted one. */
  secrets: readonly string[];
  /** SpawnSpec.sessionWrites: how the caller brackets the run's appends with writes of its own. */
  writes?: SpawnSpec['sessionWrites'];
}

/** Every string in the messages with each secret value replaced by [REDACTED]. */
function withoutSecrets(messages: Message[], secrets: readonly string[]): Message[] {
  if (secrets.length === 0) return messages;
  return JSON.parse(JSON.stringify(messages), (_key, value: unknown) =>
    typeof value === 'string' ? redactLiterals(value, secrets) : value,
  ) as Message[];
}

/**
 * A search hit as recall hands it to the run: its text, and when it was written in a context
 * holding other sources than the operator's words, those sources as this run records them, each
 * naming where it was recalled from ("the web page https://… (recalled from conversation 0193…)").
 * Which of them are untrusted is the agent's policy (permissions.ts's recallUnderPolicy), not this function's.
 */
function recalledHit(hit: SearchHit): Recalled {
  if (hit.taint === undefined) return hit.text;
  const from =
    hit.source === 'note' ? `note ${hit.noteId ?? '?'}` : `conversation ${hit.sessionId ?? '(deleted)'}`;
  return {
    text: hit.text,
    provenance: hit.taint.map((entry) => ({
      kind: entry.kind,
      source: `${entry.source === undefined ? '' : `${entry.source} `}(recalled from ${from})`,
    })),
  };
}

/** The runtime hooks that tie one run to its session in the memory database. */
export function sessionHooks(
  memory: WorkspaceMemory,
  options: SessionHookOptions,
): Pick<AgentRunOptions, 'persist' | 'recall' | 'summarization' | 'sessionId' | 'userId'> {
  const { sessionId, userId, config } = options;
  const { summarization, context_budget: budget } = config.runtime;
  const append = options.writes?.relaxed ? { relaxed: true } : {};
  /** A session created for this run has no summary until the run saves one: its load reads nothing. */
  let nothingSaved = options.created === true;
  /** A session created for this run: the texts its chunks hold, all indexed by this run (ConversationInput.indexed). */
  const indexed = options.created === true ? new Set<string>() : undefined;
  const end = options.writes?.end;
  /** The answer handed to the caller's end of the turn (SpawnSpec.sessionWrites.end), while it holds it. */
  let handed:
    | (NonNullable<ReturnType<TurnEndWrites['append']>> & {
        messages: Message[];
        taint: Provenance[] | undefined;
      })
    | undefined;
  const stored = (appended: AppendedTurn, messages: Message[], taint: Provenance[] | undefined) => {
    memory.histories.appended(sessionId, appended, messages);
    // The turn is committed; making it searchable is best effort and never loses it. It runs
    // behind the next model call (or after the answer is shown) instead of before it: every
    // search waits for the retriever's queued writes, and closing the memory waits for it.
    memory.inBackground(
      memory.retriever
        .indexConversation({
          sessionId,
          ...(userId ? { userId } : {}),
          messages,
          ...(taint ? { taint } : {}),
          ...(indexed ? { indexed } : {}),
        })
        .catch((error: unknown) => {
          options.warn(`could not index the conversation for search: ${(error as Error).message}`);
        }),
    );
  };
  return {
    sessionId,
    ...(userId ? { userId } : {}),
    persist: async (raw, provenance) => {
      // What the context held now, kept with the chunks indexed from these messages (the run's
      // list grows in place, and indexing runs later): recall hands it on (docs/security.md).
      const taint = provenance === undefined ? undefined : chunkTaint(provenance);
      const messages = withoutSecrets(raw, options.secrets);
      // Rejected: what the messages must follow was not stored (a claim answered before its
      // commit, which failed), so neither are they: the run fails (persistence_error).
      await options.writes?.after;
      // Another unit after a handed answer (a steering message continued the run): the answer
      // is taken back and appended first, so the log keeps their order.
      if (handed) {
        const earlier = handed;
        handed = undefined;
        if (earlier.withdraw())
          stored(
            await memory.db.sessions.appendTurn(sessionId, earlier.messages, append),
            earlier.messages,
            earlier.taint,
          );
        else await earlier.stored;
      }
      // The run's answer (an assistant message calling no tool), when the caller ends the turn
      // in one transaction: appended there, with the turn's final record and the claim's
      // release, instead of in a round trip of its own now (docs/postgres.md, "Ninth round").
      const answer =
        messages.length === 1 && messages[0]!.role === 'assistant' && !messages[0]!.toolCalls?.length;
      const given = answer ? end?.append(messages) : undefined;
      if (given) {
        handed = Object.assign(given, { messages, taint });
        void given.stored.then((appended) => appended && stored(appended, messages, taint));
        return;
      }
      stored(await memory.db.sessions.appendTurn(sessionId, messages, append), messages, taint);
    },
    recall: async (query) => {
      if (!(await memory.recallable(sessionId))) return [];
      // The current session is in the context already; recall what lies outside it (and so
      // without waiting for the turn's own prompt to be indexed).
      const hits = await memory.retriever.search({
        query,
        topK: config.memory.retrieval.top_k,
        ...(userId ? { userId } : {}),
        ownSession: sessionId,
      });
      return hits.filter((hit) => hit.sessionId !== sessionId).map(recalledHit);
    },
    summarization: {
      triggerRatio: budget.trigger_ratio,
      targetRatio: summarization.target_ratio,
      minTurns: summarization.min_turns,
      ...(options.summarize ? { summarize: options.summarize } : {}),
      store: {
        load: async () => {
          if (nothingSaved) return undefined;
          const state = await memory.db.sessions.getState(sessionId, SUMMARY_STATE_KEY);
          if (!state) return undefined;
          const { text, covered } = JSON.parse(state.value) as { text: string; covered: number };
          return { text, covered, epoch: state.epoch };
        },
        save: (summary, expectedEpoch) => {
          nothingSaved = false;
          return memory.db.sessions.setState(
            sessionId,
            SUMMARY_STATE_KEY,
            JSON.stringify(summary),
            expectedEpoch,
          );
        },
      },
    },
  };
}
