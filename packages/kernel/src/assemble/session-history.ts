/**
 * Live sessions' conversations, kept in memory between turns. Every host runs a turn of a stored
 * session by opening it again (a gateway message, a chat line, a scheduled run), so without this
 * each turn read and decoded the whole conversation from the database, and the runtime counted
 * the tokens of every message again (its counts are cached per message object): a turn cost more
 * the longer the session was.
 *
 * Per session id: the messages as a fresh load returns them (loadHistory's form) and the stamp of
 * the log they reflect (SessionStore.stamp: the session row's generation and the last message's
 * seq, turn and time). Opening a session reads only the stamp, a query whose cost does not grow
 * with the conversation, and then:
 *   - unchanged: the cached messages, the same objects as the last turn's, so per-message caches
 *     (token counts) hit;
 *   - longer, same generation (another process, or another kernel, appended): only the messages
 *     after the cached tail are read, the tail itself re-read to check it is still the same;
 *   - anything else (deleted and created again, a different tail): the whole log is read again.
 * A turn's own messages are added as it persists them (their stored form, secrets redacted and
 * attachment bytes omitted), advancing the stamp without a read; when another writer appended in
 * between, they are left for the next opening to read in order. Cached messages are frozen: they
 * are shared by every later turn (and handed to plugins), so a change would leak into them.
 *
 * Bounded: at most HISTORY_CACHE_SESSIONS sessions and HISTORY_CACHE_MESSAGES messages in all
 * (least recently used go first), and a session unused for HISTORY_IDLE_MS is dropped. Keys are
 * session ids; openSession checks the session's user before asking, as it did before a load.
 */
import {
  attachmentPlaceholder,
  encodePayload,
  isOmittedAttachment,
  SessionNotFoundError,
  type SessionStore,
  type StoredEvent,
} from '@oxydra/memory';
import type { Message, SessionStamp, StoredSession } from '@oxydra/types';

/** Sessions kept at most (least recently used dropped first). */
const HISTORY_CACHE_SESSIONS = 128;
/**
 * Messages kept at most, over all sessions (least recently used sessions dropped first): what
 * bounds the memory held (tens of MB at most for typical messages). A session longer than this
 * on its own is read whole at each turn, as before.
 */
const HISTORY_CACHE_MESSAGES = 20_000;
/** A session not opened or appended to for this long is dropped (the database keeps it all). */
export const HISTORY_IDLE_MS = 10 * 60_000;

export interface SessionHistoryOptions {
  maxSessions?: number;
  maxMessages?: number;
  idleMs?: number;
  /** The time idleness is measured in (the kernel's clock); default Date.now. */
  now?: () => number;
}

/** What the cache needs of the session store. */
export type HistoryStore = Pick<SessionStore, 'stamp' | 'loadEvents'>;

/** The position of the log's last message the cached messages end at. */
interface Tail {
  seq: number;
  turn: number;
  at: string;
}

interface Entry {
  messages: Message[];
  generation: string;
  tail: Tail;
  usedAt: number;
}

/** A stored message as it is sent again: attachment bytes are never stored, so say so. */
export function historyMessage(message: Message): Message {
  if (message.role !== 'user' || typeof message.content === 'string') return message;
  if (!message.content.some(isOmittedAttachment)) return message;
  return {
    ...message,
    content: message.content.map((part) =>
      part.type === 'attachment' && isOmittedAttachment(part)
        ? { type: 'text' as const, text: attachmentPlaceholder(part) }
        : part,
    ),
  };
}

const sameTail = (a: Tail, b: Tail) => a.seq === b.seq && a.turn === b.turn && a.at === b.at;
const tailOf = (event: StoredEvent): Tail => ({ seq: event.seq, turn: event.turn, at: event.createdAt });

export class SessionHistories {
  /** In use order, least recent first (an entry is moved to the end when used). */
  readonly #entries = new Map<string, Entry>();
  /** Per session, the opening in progress: openings of one session run one after another. */
  readonly #opening = new Map<string, Promise<unknown>>();
  readonly #maxSessions: number;
  readonly #maxMessages: number;
  readonly #idleMs: number;
  readonly #now: () => number;
  #messages = 0;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: HistoryStore,
    options: SessionHistoryOptions = {},
  ) {
    this.#maxSessions = options.maxSessions ?? HISTORY_CACHE_SESSIONS;
    this.#maxMessages = options.maxMessages ?? HISTORY_CACHE_MESSAGES;
    this.#idleMs = options.idleMs ?? HISTORY_IDLE_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Sessions held now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether `sessionId`'s messages are held (for tests and diagnostics). */
  has(sessionId: string): boolean {
    return this.#entries.has(sessionId);
  }

  /**
   * The session's conversation so far, as loadHistory returns it; a new array (the caller may
   * keep or extend it) of the cached message objects. SessionNotFoundError when it does not exist.
   */
  load(sessionId: string): Promise<Message[]> {
    return this.#queued(sessionId, () => this.#load(sessionId)).then((opened) => opened.messages);
  }

  /**
   * As load, with the session's row read in the same statement as the stamp (SessionStore.stamp
   * `session`): a turn opening a stored session reads the row once, not once more with `get`.
   */
  opened(sessionId: string): Promise<{ messages: Message[]; session: StoredSession }> {
    return this.#queued(sessionId, () => this.#load(sessionId, true)) as Promise<{
      messages: Message[];
      session: StoredSession;
    }>;
  }

  /** Openings of one session run one after another. */
  #queued<T>(sessionId: string, open: () => Promise<T>): Promise<T> {
    const previous = this.#opening.get(sessionId);
    const opening = (previous ?? Promise.resolve()).then(open, open);
    this.#opening.set(sessionId, opening);
    const settled = () => {
      if (this.#opening.get(sessionId) === opening) this.#opening.delete(sessionId);
    };
    opening.then(settled, settled);
    return opening;
  }

  /**
   * A turn's messages were appended (AppendedTurn's seqs) as `stored` (what was written: secrets
   * redacted). Added to the cached conversation when it ended right before them. Otherwise
   * another writer came in between (the next opening reads what the cache misses, in order), or
   * an opening running meanwhile read them from the log already.
   */
  appended(
    sessionId: string,
    turn: { turn: number; firstSeq: number; lastSeq: number; createdAt: string },
    stored: readonly Message[],
  ): void {
    this.#sweep();
    const entry = this.#entries.get(sessionId);
    if (!entry) return;
    if (turn.lastSeq - turn.firstSeq + 1 !== stored.length) {
      // Not what was written: nothing cached can be trusted to follow the log.
      this.#drop(sessionId);
      return;
    }
    if (turn.firstSeq !== entry.tail.seq + 1) return;
    for (const message of stored) entry.messages.push(toCached(asStored(message)));
    this.#messages += stored.length;
    entry.tail = { seq: turn.lastSeq, turn: turn.turn, at: turn.createdAt };
    this.#use(sessionId, entry);
  }

  /** Drops everything and stops the idle sweep (the memory is closing). */
  clear(): void {
    this.#entries.clear();
    this.#messages = 0;
    this.#disarm();
  }

  async #load(
    sessionId: string,
    withSession = false,
  ): Promise<{ messages: Message[]; session?: StoredSession | undefined }> {
    this.#sweep();
    const stamp = await this.store.stamp(sessionId, withSession ? { session: true } : {});
    if (stamp === undefined) {
      this.#drop(sessionId);
      throw new SessionNotFoundError(sessionId);
    }
    return { messages: await this.#messagesAt(sessionId, stamp), session: stamp.session };
  }

  /** The session's messages as of `stamp`: the cached ones when it did not move, else what is new. */
  async #messagesAt(sessionId: string, stamp: SessionStamp): Promise<Message[]> {
    const cached = this.#entries.get(sessionId);
    if (cached && cached.generation === stamp.generation) {
      const stored = { seq: stamp.lastSeq, turn: stamp.lastTurn, at: stamp.lastAt };
      if (sameTail(cached.tail, stored)) return this.#use(sessionId, cached);
      if (stored.seq > cached.tail.seq) {
        // The cached tail is read again with what follows it, to check it is still the same.
        const events = await this.store.loadEvents(sessionId, { afterSeq: Math.max(0, cached.tail.seq - 1) });
        // (Dropped meanwhile: idle, or pushed out by other sessions; read whole below.)
        const added = this.#entries.get(sessionId) === cached ? extend(cached, events) : undefined;
        if (added !== undefined) {
          this.#messages += added;
          return this.#use(sessionId, cached);
        }
      }
    }
    const events = await this.store.loadEvents(sessionId);
    const last = events.at(-1);
    const entry: Entry = {
      messages: events.map((event) => toCached(event.message)),
      generation: stamp.generation,
      tail: last ? tailOf(last) : { seq: 0, turn: 0, at: '' },
      usedAt: 0,
    };
    this.#drop(sessionId);
    this.#messages += entry.messages.length;
    return this.#use(sessionId, entry);
  }

  /** Marks the entry used now (most recent), enforces the bounds, and returns a copy of its messages. */
  #use(sessionId: string, entry: Entry): Message[] {
    entry.usedAt = this.#now();
    this.#entries.delete(sessionId);
    this.#entries.set(sessionId, entry);
    const messages = entry.messages.slice();
    for (const [id] of this.#entries) {
      if (this.#entries.size <= this.#maxSessions && this.#messages <= this.#maxMessages) break;
      this.#drop(id);
    }
    this.#arm();
    return messages;
  }

  #drop(sessionId: string): void {
    const entry = this.#entries.get(sessionId);
    if (!entry) return;
    this.#entries.delete(sessionId);
    this.#messages -= entry.messages.length;
    if (this.#entries.size === 0) this.#disarm();
  }

  /** Drops the sessions idle for idleMs or more (least recently used first, so it stops early). */
  #sweep(): void {
    const before = this.#now() - this.#idleMs;
    for (const [id, entry] of this.#entries) {
      if (entry.usedAt > before) break;
      this.#drop(id);
    }
  }

  /** While anything is held, a timer drops idle sessions even when no turn comes to do it. */
  #arm(): void {
    if (this.#sweeper !== undefined || this.#entries.size === 0) return;
    this.#sweeper = setInterval(() => this.#sweep(), this.#idleMs);
    this.#sweeper.unref();
  }

  #disarm(): void {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }
}

/** A stored message as the cache holds it: in loadHistory's form, frozen all the way down. */
function toCached(message: Message): Message {
  return deepFreeze(historyMessage(message));
}

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}

/** The message as a fresh load decodes it from its stored payload. */
function asStored(message: Message): Message {
  return JSON.parse(encodePayload(message)) as Message;
}

/**
 * Adds the events after the entry's tail to it, when they continue it: the event at the tail is
 * among them and unchanged, and the seqs after it have no gap. Returns how many were added;
 * undefined (the entry untouched) when they do not continue it.
 */
function extend(entry: Entry, events: readonly StoredEvent[]): number | undefined {
  const base = entry.tail;
  let verified = base.seq === 0;
  const added: StoredEvent[] = [];
  for (const event of events) {
    if (event.seq < base.seq) continue;
    if (event.seq === base.seq) {
      if (!sameTail(tailOf(event), base)) return undefined;
      verified = true;
      continue;
    }
    if (event.seq !== base.seq + added.length + 1) return undefined;
    added.push(event);
  }
  if (added.length > 0 && !verified) return undefined;
  for (const event of added) entry.messages.push(toCached(event.message));
  const last = added.at(-1);
  if (last) entry.tail = tailOf(last);
  return added.length;
}
