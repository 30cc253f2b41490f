/**
 * The channel database's pairing requests and paired senders (unknown_senders = "pair"), for the
 * libSQL ChannelStore, with the word of a change to them (pairing-changes.ts: this process's own
 * writes at once, another process's through a watch on the file's WAL) that stops a revoked
 * sender's running turn. Kept apart from the message flow's statements, which they never touch.
 */
import type { LocalDb } from '@oxydra/kernel/local-db';
import type { ChannelPairedSender, ChannelPairingRequest, NewChannelPairingRequest } from '@oxydra/types';
import { PairingChanges } from './pairing-changes.js';

export class ChannelPairingRows {
  readonly #db: LocalDb;
  readonly #pairing: ReturnType<typeof pairingStatements>;
  readonly #changes: PairingChanges;

  /** `walPath`: the file's WAL, watched for other processes' pairing changes. */
  constructor(db: LocalDb, walPath?: string) {
    this.#db = db;
    this.#pairing = pairingStatements(db);
    this.#changes = new PairingChanges(walPath);
  }

  request(
    channel: string,
    request: NewChannelPairingRequest,
    limits: { maxPending: number; staleBefore: string },
  ): 'created' | 'pending' | 'full' {
    const p = this.#pairing;
    const run = this.#db.transaction((): 'created' | 'pending' | 'full' => {
      p.dropStale.run(channel, limits.staleBefore);
      if (p.hasRequest.get(channel, request.senderId)) return 'pending';
      if ((p.countRequests.get(channel) as [number])[0] >= limits.maxPending) return 'full';
      p.insertRequest.run(
        channel,
        request.senderId,
        request.name ?? null,
        request.chatId,
        request.codeHash,
        request.requestedAt,
      );
      return 'created';
    });
    return run.immediate() as 'created' | 'pending' | 'full';
  }

  requests(channel: string | undefined, staleBefore: string): ChannelPairingRequest[] {
    const rows = (
      channel === undefined
        ? this.#pairing.allRequests.all(staleBefore)
        : this.#pairing.requests.all(channel, staleBefore)
    ) as [string, string, string | null, string, string, string][];
    return rows.map(([ch, senderId, name, chatId, codeHash, requestedAt]) => ({
      channel: ch,
      senderId,
      ...(name !== null ? { name } : {}),
      chatId,
      codeHash,
      requestedAt,
    }));
  }

  dropRequest(channel: string, senderId: string): boolean {
    return this.#pairing.dropRequest.run(channel, senderId).changes === 1;
  }

  pair(channel: string, sender: { senderId: string; userId: string; name?: string }, pairedAt: string): void {
    const p = this.#pairing;
    this.#db
      .transaction(() => {
        p.upsertPaired.run(channel, sender.senderId, sender.userId, sender.name ?? null, pairedAt);
        p.dropRequest.run(channel, sender.senderId);
      })
      .immediate();
    // A second approval may have replaced the user a running turn is answered as.
    this.#changes.told();
  }

  paired(channel: string): ChannelPairedSender[] {
    const rows = this.#pairing.paired.all(channel) as [string, string, string, string | null, string][];
    return rows.map(([ch, senderId, userId, name, pairedAt]) => ({
      channel: ch,
      senderId,
      userId,
      ...(name !== null ? { name } : {}),
      pairedAt,
    }));
  }

  unpair(channel: string, senderId: string): boolean {
    const removed = this.#pairing.unpair.run(channel, senderId).changes === 1;
    if (removed) this.#changes.told();
    return removed;
  }

  onChanged(listener: () => void): () => void {
    return this.#changes.listen(listener);
  }

  close(): void {
    this.#changes.close();
  }
}

const REQUEST = 'channel, sender_id, name, chat_id, code_hash, requested_at';

/** The pairing tables' statements (unknown_senders = "pair"). */
function pairingStatements(db: LocalDb) {
  return {
    dropStale: db.prepare('DELETE FROM channel_pairing_requests WHERE channel = ? AND requested_at < ?'),
    hasRequest: db
      .prepare('SELECT 1 FROM channel_pairing_requests WHERE channel = ? AND sender_id = ?')
      .raw(true),
    countRequests: db.prepare('SELECT count(*) FROM channel_pairing_requests WHERE channel = ?').raw(true),
    insertRequest: db.prepare(`INSERT INTO channel_pairing_requests (${REQUEST}) VALUES (?, ?, ?, ?, ?, ?)`),
    requests: db
      .prepare(
        `SELECT ${REQUEST} FROM channel_pairing_requests WHERE channel = ? AND requested_at >= ? ORDER BY requested_at, sender_id`,
      )
      .raw(true),
    allRequests: db
      .prepare(
        `SELECT ${REQUEST} FROM channel_pairing_requests WHERE requested_at >= ? ORDER BY requested_at, channel, sender_id`,
      )
      .raw(true),
    dropRequest: db.prepare('DELETE FROM channel_pairing_requests WHERE channel = ? AND sender_id = ?'),
    upsertPaired: db.prepare(
      `INSERT INTO channel_paired_senders (channel, sender_id, user_id, name, paired_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (channel, sender_id) DO UPDATE SET user_id = excluded.user_id, name = excluded.name, paired_at = excluded.paired_at`,
    ),
    paired: db
      .prepare(
        'SELECT channel, sender_id, user_id, name, paired_at FROM channel_paired_senders WHERE channel = ? ORDER BY paired_at, sender_id',
      )
      .raw(true),
    unpair: db.prepare('DELETE FROM channel_paired_senders WHERE channel = ? AND sender_id = ?'),
  };
}
