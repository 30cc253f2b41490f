/**
 * The libSQL ChannelStore (the embedded default of the contract in @oxydra/types): a file of
 * its own, `.oxydra/channels.db`, opened only by a process that runs a channel, through the
 * synchronous `libsql` binding. Each method is one statement or one transaction, so it is atomic
 * within this process and across processes sharing the file; no method awaits between a read
 * and the write that depends on it.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { claimWorkspaceState, type LocalDb, openLocalDb } from '@oxydra/kernel/local-db';
import type {
  ChannelAttachment,
  ChannelFailure,
  ChannelHealth,
  ChannelInbound,
  ChannelInboundStatus,
  ChannelOutbound,
  ChannelPairedSender,
  ChannelPairingRequest,
  ChannelScheduleTarget,
  ChannelStats,
  ChannelStore,
  ChannelTurnMark,
  NewChannelInbound,
  NewChannelOutbound,
  NewChannelPairingRequest,
} from '@oxydra/types';
import { ChannelHealthRows } from './health-rows.js';
import { ChannelPairingRows } from './pairing-rows.js';
import { CHANNEL_MIGRATIONS } from './schema.js';

type Db = LocalDb;

const INBOUND =
  'seq, channel, conversation, message_id, chat_id, thread_id, sender_id, user_id, text, status, received_at, attachments, turn';
const OUTBOUND = 'seq, channel, key, chat_id, thread_id, text, edit_of, file';

type InboundRow = [
  number,
  string,
  string,
  string,
  string,
  string | null,
  string,
  string,
  string,
  ChannelInboundStatus,
  string,
  string | null,
  string | null,
];
type OutboundRow = [number, string, string, string, string | null, string, string | null, string | null];

// Where it lives is the kernel's fact: the file is workspace state it claims (state-paths.ts).
export { channelDbPath } from '@oxydra/kernel/local-db';

/**
 * Opens (creating it owner-only: it holds what people wrote) and migrates the channel database.
 * One that came with the folder (no record that Oxydra made it for this user) is set aside
 * first: its paired senders would be let in, its pending messages answered and its outbox sent.
 */
export function openChannelStore(path: string, env: NodeJS.ProcessEnv = process.env): LibsqlChannelStore {
  mkdirSync(dirname(path), { recursive: true });
  const made = claimWorkspaceState(path, { env });
  return new LibsqlChannelStore(openLocalDb(path, CHANNEL_MIGRATIONS, made), `${path}-wal`);
}

const inboundOf = (row: InboundRow): ChannelInbound => {
  const [
    seq,
    channel,
    conversation,
    messageId,
    chatId,
    threadId,
    senderId,
    userId,
    text,
    status,
    receivedAt,
    attachments,
    turn,
  ] = row;
  return {
    seq,
    channel,
    conversation,
    messageId,
    chatId,
    ...(threadId !== null ? { threadId } : {}),
    senderId,
    userId,
    text,
    status,
    receivedAt,
    ...(attachments !== null ? { attachments: JSON.parse(attachments) as ChannelAttachment[] } : {}),
    ...(turn !== null ? { turn: JSON.parse(turn) as ChannelTurnMark } : {}),
  };
};

const outboundOf = ([
  seq,
  channel,
  key,
  chatId,
  threadId,
  text,
  editOf,
  file,
]: OutboundRow): ChannelOutbound => ({
  seq,
  channel,
  key,
  chatId,
  ...(threadId !== null ? { threadId } : {}),
  text,
  ...(editOf !== null ? { editOf } : {}),
  ...(file !== null ? { file } : {}),
});

export class LibsqlChannelStore implements ChannelStore {
  readonly #db: Db;
  readonly #cursor;
  readonly #setCursor;
  readonly #insertInbound;
  readonly #inboundBySeq;
  readonly #pending;
  readonly #claim;
  readonly #finish;
  readonly #running;
  readonly #requeue;
  readonly #markTurn;
  readonly #session;
  readonly #setSession;
  readonly #enqueue;
  readonly #unsent;
  readonly #markSent;
  readonly #accept;
  readonly #byStatus;
  readonly #unsentCount;
  readonly #settle;
  readonly #health: ChannelHealthRows;
  readonly #setTarget;
  readonly #dropTarget;
  readonly #target;
  readonly #spoken;
  readonly #pairing: ChannelPairingRows;

  /** `walPath`: the file's WAL, watched for other processes' pairing changes (pairing-rows.ts). */
  constructor(db: Db, walPath?: string) {
    this.#db = db;
    this.#health = new ChannelHealthRows(db);
    this.#setTarget = db.prepare(
      `INSERT INTO channel_schedule_targets (schedule_id, channel, chat_id, thread_id, user_id) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (schedule_id) DO UPDATE SET channel = excluded.channel, chat_id = excluded.chat_id,
       thread_id = excluded.thread_id, user_id = excluded.user_id`,
    );
    this.#dropTarget = db.prepare('DELETE FROM channel_schedule_targets WHERE schedule_id = ?');
    this.#target = db
      .prepare(
        'SELECT channel, chat_id, thread_id, user_id FROM channel_schedule_targets WHERE schedule_id = ?',
      )
      .raw(true);
    this.#spoken = db
      .prepare('SELECT 1 FROM channel_inbound WHERE channel = ? AND chat_id = ? AND user_id = ? LIMIT 1')
      .raw(true);
    this.#pairing = new ChannelPairingRows(db, walPath);
    this.#cursor = db.prepare('SELECT cursor FROM channel_cursor WHERE channel = ?').raw(true);
    this.#setCursor = db.prepare(
      'INSERT INTO channel_cursor (channel, cursor) VALUES (?, ?) ON CONFLICT (channel) DO UPDATE SET cursor = excluded.cursor',
    );
    this.#insertInbound = db
      .prepare(
        `INSERT INTO channel_inbound (channel, conversation, message_id, chat_id, thread_id, sender_id, user_id, text, status, received_at, attachments)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING RETURNING ${INBOUND}`,
      )
      .raw(true);
    this.#inboundBySeq = db.prepare(`SELECT ${INBOUND} FROM channel_inbound WHERE seq = ?`).raw(true);
    this.#pending = db
      .prepare(`SELECT ${INBOUND} FROM channel_inbound WHERE channel = ? AND status = 'pending' ORDER BY seq`)
      .raw(true);
    this.#claim = db.prepare(
      "UPDATE channel_inbound SET status = 'running' WHERE seq = ? AND status = 'pending'",
    );
    this.#finish = db.prepare('UPDATE channel_inbound SET status = ? WHERE seq = ?');
    this.#running = db
      .prepare(`SELECT ${INBOUND} FROM channel_inbound WHERE channel = ? AND status = 'running' ORDER BY seq`)
      .raw(true);
    this.#requeue = db.prepare(
      "UPDATE channel_inbound SET status = 'pending' WHERE seq = ? AND status = 'running'",
    );
    this.#markTurn = db.prepare("UPDATE channel_inbound SET turn = ? WHERE seq = ? AND status = 'running'");
    this.#session = db
      .prepare('SELECT session_id FROM channel_sessions WHERE channel = ? AND conversation = ?')
      .raw(true);
    this.#setSession = db.prepare(
      `INSERT INTO channel_sessions (channel, conversation, session_id) VALUES (?, ?, ?)
       ON CONFLICT (channel, conversation) DO UPDATE SET session_id = excluded.session_id`,
    );
    this.#enqueue = db.prepare(
      `INSERT INTO channel_outbox (channel, key, chat_id, thread_id, text, edit_of, file) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (channel, key) DO NOTHING`,
    );
    this.#unsent = db
      .prepare(`SELECT ${OUTBOUND} FROM channel_outbox WHERE channel = ? AND sent_at IS NULL ORDER BY seq`)
      .raw(true);
    this.#markSent = db.prepare(
      'UPDATE channel_outbox SET sent_id = ?, sent_at = ? WHERE channel = ? AND key = ? AND sent_at IS NULL',
    );
    this.#byStatus = db
      .prepare(
        'SELECT status, count(*), max(received_at) FROM channel_inbound WHERE channel = ? GROUP BY status',
      )
      .raw(true);
    this.#unsentCount = db
      .prepare('SELECT count(*) FROM channel_outbox WHERE channel = ? AND sent_at IS NULL')
      .raw(true);
    this.#accept = db.transaction(
      (channel: string, cursor: string, messages: readonly NewChannelInbound[]) => {
        const now = new Date().toISOString();
        const added: ChannelInbound[] = [];
        for (const m of messages) {
          const row = this.#insertInbound.get(
            channel,
            m.conversation,
            m.messageId,
            m.chatId,
            m.threadId ?? null,
            m.senderId,
            m.userId,
            m.text,
            now,
            m.attachments && m.attachments.length > 0 ? JSON.stringify(m.attachments) : null,
          ) as InboundRow | undefined;
          if (row) added.push(inboundOf(row));
        }
        this.#setCursor.run(channel, cursor);
        return added;
      },
    );
    this.#settle = db.transaction(
      (seq: number, status: ChannelInboundStatus, channel: string, parts: readonly NewChannelOutbound[]) => {
        this.#finish.run(status, seq);
        this.#enqueueAll(channel, parts);
      },
    );
  }

  async cursor(channel: string): Promise<string | undefined> {
    return (this.#cursor.get(channel) as [string] | undefined)?.[0];
  }

  async accept(
    channel: string,
    cursor: string,
    messages: readonly NewChannelInbound[],
  ): Promise<ChannelInbound[]> {
    return this.#accept.immediate(channel, cursor, messages) as ChannelInbound[];
  }

  async pending(channel: string): Promise<ChannelInbound[]> {
    return (this.#pending.all(channel) as InboundRow[]).map(inboundOf);
  }

  async claim(seq: number): Promise<boolean> {
    return this.#claim.run(seq).changes === 1;
  }

  async settle(
    seq: number,
    status: Exclude<ChannelInboundStatus, 'pending' | 'running'>,
    channel: string,
    parts: readonly NewChannelOutbound[],
  ): Promise<void> {
    this.#settle.immediate(seq, status, channel, parts);
  }

  async markTurn(seq: number, mark: ChannelTurnMark): Promise<void> {
    this.#markTurn.run(JSON.stringify(mark), seq);
  }

  async running(channel: string): Promise<ChannelInbound[]> {
    return (this.#running.all(channel) as InboundRow[]).map(inboundOf);
  }

  async requeue(seq: number): Promise<boolean> {
    return this.#requeue.run(seq).changes === 1;
  }

  async session(channel: string, conversation: string): Promise<string | undefined> {
    return (this.#session.get(channel, conversation) as [string] | undefined)?.[0];
  }

  async setSession(channel: string, conversation: string, sessionId: string): Promise<void> {
    this.#setSession.run(channel, conversation, sessionId);
  }

  async enqueue(channel: string, parts: readonly NewChannelOutbound[]): Promise<void> {
    this.#db.transaction(() => this.#enqueueAll(channel, parts)).immediate();
  }

  async unsent(channel: string): Promise<ChannelOutbound[]> {
    return (this.#unsent.all(channel) as OutboundRow[]).map(outboundOf);
  }

  async markSent(channel: string, key: string, platformId: string): Promise<void> {
    this.#markSent.run(platformId, new Date().toISOString(), channel, key);
  }

  async setScheduleTarget(scheduleId: string, target: ChannelScheduleTarget | undefined): Promise<void> {
    if (!target) this.#dropTarget.run(scheduleId);
    else
      this.#setTarget.run(scheduleId, target.channel, target.chatId, target.threadId ?? null, target.userId);
  }

  async scheduleTarget(scheduleId: string): Promise<ChannelScheduleTarget | undefined> {
    const row = this.#target.get(scheduleId) as [string, string, string | null, string] | undefined;
    if (!row) return undefined;
    const [channel, chatId, threadId, userId] = row;
    return { channel, chatId, ...(threadId !== null ? { threadId } : {}), userId };
  }

  async hasSpoken(channel: string, chatId: string, userId: string): Promise<boolean> {
    return this.#spoken.get(channel, chatId, userId) !== undefined;
  }

  async stats(channel: string): Promise<ChannelStats> {
    const rows = this.#byStatus.all(channel) as [ChannelInboundStatus, number, string][];
    const inbound: ChannelStats['inbound'] = {};
    let last: string | undefined;
    for (const [status, count, at] of rows) {
      inbound[status] = count;
      if (last === undefined || at > last) last = at;
    }
    const cursor = await this.cursor(channel);
    return {
      ...(cursor !== undefined ? { cursor } : {}),
      inbound,
      unsent: (this.#unsentCount.get(channel) as [number])[0],
      ...(last !== undefined ? { lastReceivedAt: last } : {}),
    };
  }

  async markFailed(channel: string, key: string, error: string): Promise<void> {
    this.#health.markFailed(channel, key, error);
  }

  async failures(channel: string, limit: number): Promise<{ total: number; recent: ChannelFailure[] }> {
    return this.#health.failures(channel, limit);
  }

  async recordHealth(channel: string, health: ChannelHealth): Promise<void> {
    this.#health.record(channel, health);
  }

  async hold(
    channel: string,
    health: ChannelHealth,
    staleBefore: string,
  ): Promise<ChannelHealth | undefined> {
    return this.#health.hold(channel, health, staleBefore);
  }

  async health(channel: string): Promise<ChannelHealth | undefined> {
    return this.#health.health(channel);
  }

  async requestPairing(
    channel: string,
    request: NewChannelPairingRequest,
    limits: { maxPending: number; staleBefore: string },
  ): Promise<'created' | 'pending' | 'full'> {
    return this.#pairing.request(channel, request, limits);
  }

  async pairingRequests(channel: string | undefined, staleBefore: string): Promise<ChannelPairingRequest[]> {
    return this.#pairing.requests(channel, staleBefore);
  }

  async dropPairingRequest(channel: string, senderId: string): Promise<boolean> {
    return this.#pairing.dropRequest(channel, senderId);
  }

  async pair(
    channel: string,
    sender: { senderId: string; userId: string; name?: string },
    pairedAt: string,
  ): Promise<void> {
    this.#pairing.pair(channel, sender, pairedAt);
  }

  async pairedSenders(channel: string): Promise<ChannelPairedSender[]> {
    return this.#pairing.paired(channel);
  }

  async unpair(channel: string, senderId: string): Promise<boolean> {
    return this.#pairing.unpair(channel, senderId);
  }

  onPairingsChanged(listener: () => void): () => void {
    return this.#pairing.onChanged(listener);
  }

  async close(): Promise<void> {
    this.#pairing.close();
    this.#db.close();
  }

  /** Reads one message back (tests, status). */
  async inbound(seq: number): Promise<ChannelInbound | undefined> {
    const row = this.#inboundBySeq.get(seq) as InboundRow | undefined;
    return row ? inboundOf(row) : undefined;
  }

  #enqueueAll(channel: string, parts: readonly NewChannelOutbound[]): void {
    for (const p of parts)
      this.#enqueue.run(
        channel,
        p.key,
        p.chatId,
        p.threadId ?? null,
        p.text,
        p.editOf ?? null,
        p.file ?? null,
      );
  }
}
