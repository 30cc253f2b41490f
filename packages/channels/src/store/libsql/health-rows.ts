/**
 * The channel database's health records and given-up sends (schema step 2), for the libSQL
 * ChannelStore: kept apart from the message flow's statements, which they never touch.
 */
import type { LocalDb } from '@oxydra/kernel/local-db';
import type { ChannelFailure, ChannelHealth } from '@oxydra/types';

const HEALTH =
  'bot_name, pid, host, started_at, heartbeat_at, stopped_at, last_receive_at, last_send_at, last_error, last_error_at, role';

type HealthRow = [
  string | null,
  number,
  string,
  string,
  string,
  string | null,
  string | null,
  string | null,
  string | null,
  string | null,
  string | null,
];
type FailureRow = [string, string, string | null, string, string, string];

/** An unset optional field is NULL. */
const optional = (value: string | null | undefined) => value ?? null;

export class ChannelHealthRows {
  readonly #markFailed;
  readonly #failures;
  readonly #failedCount;
  readonly #record;
  readonly #health;
  readonly #hold;

  constructor(db: LocalDb) {
    // sent_at is set too: a given-up message has left the queue (the unsent ones are sent_at NULL).
    this.#markFailed = db.prepare(
      `UPDATE channel_outbox SET sent_at = ?, failed_at = ?, error = ?
       WHERE channel = ? AND key = ? AND sent_at IS NULL`,
    );
    this.#failures = db
      .prepare(
        `SELECT key, chat_id, thread_id, text, error, failed_at FROM channel_outbox
         WHERE channel = ? AND failed_at IS NOT NULL ORDER BY failed_at DESC, seq DESC LIMIT ?`,
      )
      .raw(true);
    this.#failedCount = db
      .prepare('SELECT count(*) FROM channel_outbox WHERE channel = ? AND failed_at IS NOT NULL')
      .raw(true);
    this.#record = db.prepare(
      `INSERT OR REPLACE INTO channel_health (channel, ${HEALTH}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#health = db.prepare(`SELECT ${HEALTH} FROM channel_health WHERE channel = ?`).raw(true);
    this.#hold = db.transaction(
      (channel: string, health: ChannelHealth, staleBefore: string): ChannelHealth | undefined => {
        const held = this.health(channel);
        const other = held && (held.pid !== health.pid || held.host !== health.host);
        // ISO times of one clock's format compare as text.
        if (other && held.stoppedAt === undefined && held.heartbeatAt >= staleBefore) return held;
        this.record(channel, health);
        return undefined;
      },
    );
  }

  markFailed(channel: string, key: string, error: string): void {
    const now = new Date().toISOString();
    this.#markFailed.run(now, now, error, channel, key);
  }

  failures(channel: string, limit: number): { total: number; recent: ChannelFailure[] } {
    const total = (this.#failedCount.get(channel) as [number])[0];
    const rows = this.#failures.all(channel, Math.max(0, Math.floor(limit))) as FailureRow[];
    return {
      total,
      recent: rows.map(([key, chatId, threadId, text, error, failedAt]) => ({
        key,
        chatId,
        ...(threadId !== null ? { threadId } : {}),
        text,
        error,
        failedAt,
      })),
    };
  }

  record(channel: string, h: ChannelHealth): void {
    this.#record.run(
      channel,
      optional(h.botName),
      h.pid,
      h.host,
      h.startedAt,
      h.heartbeatAt,
      optional(h.stoppedAt),
      optional(h.lastReceiveAt),
      optional(h.lastSendAt),
      optional(h.lastError),
      optional(h.lastErrorAt),
      optional(h.role),
    );
  }

  hold(channel: string, health: ChannelHealth, staleBefore: string): ChannelHealth | undefined {
    return this.#hold.immediate(channel, health, staleBefore) as ChannelHealth | undefined;
  }

  health(channel: string): ChannelHealth | undefined {
    const row = this.#health.get(channel) as HealthRow | undefined;
    if (!row) return undefined;
    const [botName, pid, host, startedAt, heartbeatAt, ...rest] = row;
    const names = ['stoppedAt', 'lastReceiveAt', 'lastSendAt', 'lastError', 'lastErrorAt', 'role'] as const;
    const health: ChannelHealth = {
      ...(botName !== null ? { botName } : {}),
      pid,
      host,
      startedAt,
      heartbeatAt,
    };
    names.forEach((name, i) => {
      const value = rest[i];
      if (value !== null && value !== undefined) health[name] = value;
    });
    return health;
  }
}
