/**
 * The channel host's records (issue 34): each channel's cursor in its platform's updates, the
 * inbound messages it accepted, which session each conversation continues, and the outbox of
 * answers to send. Kept so that a restart neither loses nor repeats a message:
 *
 * - an inbound message is stored in the same transaction that moves the cursor past it
 *   (`accept`), so a crash before that commit has the platform deliver it again and a crash
 *   after it finds it stored;
 * - a message whose turn was running when the process stopped is looked at again at start
 *   (`running`): the mark written before its turn began (`markTurn`) tells the host whether the
 *   turn never reached the model (`requeue`: run it), finished (its stored answer is sent), or
 *   was cut while the model or its tools worked (not run again: the person is told);
 * - the answer is written to the outbox in the same transaction that marks its message answered
 *   (`settle`), each part under an idempotency key, and sent from there: a restart sends what
 *   was not yet marked sent, and nothing marked sent again.
 */

import type { ChannelAttachment } from '../channels.js';
import type { ChannelFailure, ChannelHealth } from './channel-health.js';

/** An inbound message to store (what the host keeps of a ChannelMessage). */
export interface NewChannelInbound {
  conversation: string;
  /** The platform's id of the message; a second one with the same conversation and id is a duplicate. */
  messageId: string;
  chatId: string;
  threadId?: string;
  senderId: string;
  /** The kernel user the sender maps to. */
  userId: string;
  text: string;
  /** The files sent with it (what is known of them; fetched when the message runs). */
  attachments?: ChannelAttachment[];
}

export type ChannelInboundStatus = 'pending' | 'running' | 'answered' | 'failed' | 'stopped' | 'interrupted';

export interface ChannelInbound extends NewChannelInbound {
  /** The store's id, increasing in the order messages were accepted. */
  seq: number;
  channel: string;
  status: ChannelInboundStatus;
  receivedAt: string;
  /** Written just before its turn was handed to the kernel; unset: the turn never began. */
  turn?: ChannelTurnMark;
}

/**
 * Where a message's turn was when it began: enough for the next process to tell, from the
 * kernel's session, whether the turn finished (its answer is stored after `afterSeq`), never
 * reached the model (nothing stored after it), or was cut in between.
 */
export interface ChannelTurnMark {
  /** The kernel session the turn runs on; unset: memory is off (nothing to look at afterwards). */
  sessionId?: string;
  /** The session's last message seq before the turn (0: none). */
  afterSeq?: number;
  /** The "…" message the answer streams into, when one was sent: edited with the answer later. */
  placeholderId?: string;
}

/** One outbound message of the outbox. */
export interface NewChannelOutbound {
  /** Unique per channel: the same key enqueued twice is one message. */
  key: string;
  chatId: string;
  threadId?: string;
  text: string;
  /** Set: replace the text of this message the bot sent (idempotent); unset: send a new message. */
  editOf?: string;
  /**
   * Set: send this file (a path relative to the workspace, read when it is sent) with `text` as
   * its caption, instead of a text message.
   */
  file?: string;
}

export interface ChannelOutbound extends NewChannelOutbound {
  seq: number;
  channel: string;
}

export interface ChannelStore {
  /** The channel's committed cursor; undefined before its first accept. */
  cursor(channel: string): Promise<string | undefined>;
  /**
   * Stores `messages` and moves the channel's cursor to `cursor`, in one transaction. A message
   * already stored (same conversation and message id) is skipped. Resolves with the new ones,
   * in order, status "pending".
   */
  accept(channel: string, cursor: string, messages: readonly NewChannelInbound[]): Promise<ChannelInbound[]>;
  /** The channel's messages still to run, oldest first. */
  pending(channel: string): Promise<ChannelInbound[]>;
  /** pending → running; false when it was not pending (another process took it, or it was answered). */
  claim(seq: number): Promise<boolean>;
  /**
   * Sets a running message's final status and enqueues what is sent for it (its answer's parts,
   * a note), in one transaction: the answer is in the outbox exactly when the message is settled.
   */
  settle(
    seq: number,
    status: Exclude<ChannelInboundStatus, 'pending' | 'running'>,
    channel: string,
    parts: readonly NewChannelOutbound[],
  ): Promise<void>;
  /** Records where a running message's turn begins (written before the turn starts). */
  markTurn(seq: number, mark: ChannelTurnMark): Promise<void>;
  /** The channel's messages left "running" (at start: their process ended mid-turn), with their marks, oldest first. */
  running(channel: string): Promise<ChannelInbound[]>;
  /** running → pending, its mark kept (its turn never reached the model); false when it was not running. */
  requeue(seq: number): Promise<boolean>;
  /** The session a conversation continues, if one was started. */
  session(channel: string, conversation: string): Promise<string | undefined>;
  /** Sets (or replaces, on /new) the session a conversation continues. */
  setSession(channel: string, conversation: string, sessionId: string): Promise<void>;
  /** Adds messages to the outbox (a key already there is skipped). */
  enqueue(channel: string, parts: readonly NewChannelOutbound[]): Promise<void>;
  /** The channel's outbox messages not yet marked sent, oldest first. */
  unsent(channel: string): Promise<ChannelOutbound[]>;
  /** Marks an outbox message sent, with the platform's id of what was sent. */
  markSent(channel: string, key: string, platformId: string): Promise<void>;
  /** Where schedule `scheduleId`'s results are delivered; undefined: nowhere (or removed). */
  setScheduleTarget(scheduleId: string, target: ChannelScheduleTarget | undefined): Promise<void>;
  scheduleTarget(scheduleId: string): Promise<ChannelScheduleTarget | undefined>;
  /** Whether kernel user `userId` has sent a message the channel accepted from chat `chatId`. */
  hasSpoken(channel: string, chatId: string, userId: string): Promise<boolean>;
  /**
   * Records a stranger's pairing request (`unknown_senders = "pair"`), in one transaction: the
   * channel's requests older than `limits.staleBefore` are dropped first; then a sender with a
   * request still open gets "pending" (no second code), a channel already holding
   * `limits.maxPending` open requests gets "full", and otherwise the request is stored: "created".
   */
  requestPairing(
    channel: string,
    request: NewChannelPairingRequest,
    limits: { maxPending: number; staleBefore: string },
  ): Promise<'created' | 'pending' | 'full'>;
  /** The open pairing requests (of one channel, or all) requested at or after `staleBefore`, oldest first. */
  pairingRequests(channel: string | undefined, staleBefore: string): Promise<ChannelPairingRequest[]>;
  /** Drops a sender's open pairing request (its code could not be sent, or it was approved); true when there was one. */
  dropPairingRequest(channel: string, senderId: string): Promise<boolean>;
  /**
   * Lets a sender in as `userId` and drops their request, in one transaction (approving again
   * replaces the user).
   */
  pair(
    channel: string,
    sender: { senderId: string; userId: string; name?: string },
    pairedAt: string,
  ): Promise<void>;
  /** The senders paired on a channel, oldest first. */
  pairedSenders(channel: string): Promise<ChannelPairedSender[]>;
  /** Removes a paired sender; true when there was one. */
  unpair(channel: string, senderId: string): Promise<boolean>;
  /**
   * Calls `listener` when the paired senders may have changed: at once after a `pair` or `unpair`
   * through this store, and on a write by another process where the store can see one (it may
   * call without a change: the listener reads again). Returns the way to stop listening.
   */
  onPairingsChanged(listener: () => void): () => void;
  /** What a status line says of a channel: its cursor, messages by status, the outbox not yet sent, the last message's time. */
  stats(channel: string): Promise<ChannelStats>;
  /**
   * Gives up on an outbox message the platform refused for good: it leaves the unsent ones and is
   * kept with `error` (token-free) and the time, listed by `failures`.
   */
  markFailed(channel: string, key: string, error: string): Promise<void>;
  /** How many of the channel's outbox messages were given up on, and the latest `limit` of them, newest first. */
  failures(channel: string, limit: number): Promise<{ total: number; recent: ChannelFailure[] }>;
  /** Replaces the channel's health record (its process's heartbeat). */
  recordHealth(channel: string, health: ChannelHealth): Promise<void>;
  /**
   * Takes the channel for the process `health` describes, in one transaction, so that two
   * processes never answer one channel: when the record held is another process's (another pid
   * or host) that did not stop and whose heartbeat is at or after `staleBefore`, nothing is
   * written and that record is returned; otherwise `health` replaces the record and the result
   * is undefined.
   */
  hold(channel: string, health: ChannelHealth, staleBefore: string): Promise<ChannelHealth | undefined>;
  /** The channel's health as last recorded; undefined when no process recorded one. */
  health(channel: string): Promise<ChannelHealth | undefined>;
  close(): Promise<void>;
}

/** A chat a schedule's results go to, and the kernel user it was allowed for. */
export interface ChannelScheduleTarget {
  channel: string;
  chatId: string;
  threadId?: string;
  userId: string;
}

export interface ChannelStats {
  cursor?: string;
  /** Stored messages by status (statuses with none are left out). */
  inbound: Partial<Record<ChannelInboundStatus, number>>;
  unsent: number;
  /** When the last message was accepted (ISO time). */
  lastReceivedAt?: string;
}

/** A stranger's request to talk to a channel's bot (`unknown_senders = "pair"`). */
export interface NewChannelPairingRequest {
  senderId: string;
  /** The name the platform shows (untrusted; for the owner's list only). */
  name?: string;
  /** The chat the code was sent to. */
  chatId: string;
  /** The code's salted hash ("<salt>:<hash>", hex): the code itself is never stored. */
  codeHash: string;
  /** When it was requested (ISO time); it expires an hour later. */
  requestedAt: string;
}

export interface ChannelPairingRequest extends NewChannelPairingRequest {
  channel: string;
}

/** A sender the owner let in with `oxydra channels pair`. */
export interface ChannelPairedSender {
  channel: string;
  senderId: string;
  userId: string;
  name?: string;
  pairedAt: string;
}
