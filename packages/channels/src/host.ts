/**
 * The channel host: one per configured channel. It receives the platform's updates, stores the
 * messages it accepts together with the platform cursor (one transaction), runs each prompt
 * through the kernel as its sender's user on its conversation's session, and sends every answer
 * through the outbox. Conversations run side by side; the messages of one run in order.
 *
 * What a restart does: messages accepted but not started run; a message whose turn was running
 * is looked at in the kernel's session (recover.ts): run again if its turn never reached the
 * model, its stored answer sent if the turn finished, else not run again (its tools may have
 * acted) and its sender told to send it again; outbox messages not marked sent are sent. The
 * host never assembles an agent: it calls the kernel.
 */
import { type Clock, systemClock } from '@oxydra/runtime';
import type {
  ChannelButtonPress,
  ChannelInbound,
  ChannelMessage,
  ChannelUpdate,
  NewChannelInbound,
  NewChannelOutbound,
} from '@oxydra/types';
import { ChatApprovals, NO_LONGER_OPEN } from './approvals.js';
import { chatCommand, HELP_TEXT, withoutMention } from './commands.js';
import { costReply } from './cost.js';
import { OutboxDelivery } from './delivery.js';
import { MAX_FILES } from './files.js';
import { HealthRecorder } from './health.js';
import type { ChannelHostOptions, ChannelStatus } from './host-options.js';
import { HostTurns, sessionKey } from './host-turns.js';
import { PairingOffers } from './pairing-offers.js';
import { recoverTurn } from './recover.js';
import { takeFiles } from './take-files.js';
import { answerParts, runChatTurn } from './turn.js';
import { ChannelSlots } from './turn-slots.js';
import { undoReply } from './undo.js';
import { retryWait, sleepUnless } from './wait.js';

/** The longest prompt taken from a chat; a longer one is refused with a note (hostile-input bound). */
export const MAX_PROMPT_CHARS = 16_000;

/**
 * How often the outbox is looked at for messages another process wrote (a scheduled run's
 * result): one indexed query, nothing sent when there is nothing.
 */
const OUTBOX_CHECK_MS = 2000;

/** How long close() lets running turns finish before stopping them. */
const CLOSE_GRACE_MS = 10_000;

/** `max_concurrent_turns` when the host is given none (the configuration's default too). */
const DEFAULT_MAX_CONCURRENT_TURNS = 16;

export const INTERRUPTED_NOTE =
  'Oxydra stopped while answering this message, so it was not finished. Send it again to get an answer.';

export class ChannelHost {
  readonly #o: ChannelHostOptions;
  readonly #timer: Clock;
  readonly #closing = new AbortController();
  /** Each conversation's chain of messages, so one conversation's messages run in order. */
  readonly #queues = new Map<string, Promise<void>>();
  /** The running turn of each sender's conversation: for /stop, a stop of the process, a revoked pairing. */
  readonly #active: HostTurns;
  readonly #outbox: OutboxDelivery;
  /** The channel's turns at once (max_concurrent_turns), round-robin across users (turn-slots.ts). */
  readonly #turnSlots: ChannelSlots;
  readonly #pairing: PairingOffers;
  #polling: Promise<void> | undefined;
  #outboxChecks: Promise<void> | undefined;
  readonly #approvals: ChatApprovals | undefined;
  readonly status: ChannelStatus;
  /** The health other processes read (channels status, the gateway): written on a heartbeat. */
  readonly #health: HealthRecorder;

  constructor(options: ChannelHostOptions) {
    this.#o = options;
    this.#timer = options.timer ?? systemClock;
    this.status = { channel: options.channel.name, accepted: 0, answered: 0 };
    this.#health = new HealthRecorder({
      store: options.store,
      channel: options.channel.name,
      clock: this.#timer,
      log: options.log,
      ...(options.heartbeatMs !== undefined ? { intervalMs: options.heartbeatMs } : {}),
    });
    this.#turnSlots = new ChannelSlots(options.maxConcurrentTurns ?? DEFAULT_MAX_CONCURRENT_TURNS);
    this.#outbox = new OutboxDelivery({
      channel: options.channel,
      store: options.store,
      health: this.#health,
      timer: this.#timer,
      closing: this.#closing.signal,
      log: options.log,
      onError: (message) => {
        this.status.lastError = message;
      },
      workspace: options.workspace,
      maxFileBytes: options.maxFileBytes,
      vaultPath: options.vaultPath,
      secrets: options.secrets,
    });
    this.#active = new HostTurns({
      name: options.channel.name,
      senders: options.senders,
      store: options.store,
      log: options.log,
    });
    this.#pairing = new PairingOffers(options.channel, options.store, this.#timer, options.log);
    const kernelApprovals = options.kernel.approvals;
    this.#approvals = kernelApprovals
      ? new ChatApprovals({
          channel: options.channel,
          respond: (id, allow) => kernelApprovals.respond(id, allow),
          userOf: (senderId) => options.senders.allowed(senderId)?.userId,
          log: options.log,
        })
      : undefined;
  }

  get #name(): string {
    return this.#o.channel.name;
  }

  /** Connects, settles what the last process left, and starts receiving. */
  async start(): Promise<{ botName: string }> {
    const { channel, store } = this.#o;
    const { botName } = await channel.start();
    this.status.botName = botName;
    await this.#health.started(botName);
    await this.#recover();
    void this.#deliver();
    for (const message of await store.pending(this.#name)) this.#schedule(message);
    this.#polling = this.#poll();
    this.#outboxChecks = this.#checkOutbox();
    return { botName };
  }

  /**
   * Stops receiving, gives the running turns `graceMs` to finish, then stops them (their senders
   * are told to send again), sends what it can, and closes.
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    this.#closing.abort();
    await this.#polling;
    await this.#outboxChecks;
    const drained = Promise.allSettled([...this.#queues.values()]);
    let timer: unknown;
    const late = new Promise<'late'>((resolve) => {
      timer = this.#timer.setTimeout(() => resolve('late'), graceMs);
    });
    if ((await Promise.race([drained, late])) === 'late') {
      this.#active.stopAll();
      await drained;
    }
    this.#active.close();
    this.#timer.clearTimeout(timer);
    await this.#deliver();
    await this.#o.channel.close();
    await this.#health.stopped();
  }

  /** Settles the messages the last process left running (recover.ts): run again, answered, or noted. */
  async #recover(): Promise<void> {
    const { store, channel } = this.#o;
    const counts = { rerun: 0, answered: 0, interrupted: 0 };
    for (const message of await store.running(this.#name)) {
      const found = await recoverTurn(message, this.#o.kernel.sessions);
      counts[found.kind] += 1;
      if (found.kind === 'rerun') await store.requeue(message.seq);
      else if (found.kind === 'answered') {
        const parts = answerParts(
          message,
          found.answer,
          this.#editable(message.turn?.placeholderId),
          channel.capabilities.maxMessageLength,
        );
        await store.settle(message.seq, 'answered', this.#name, parts);
      } else
        await store.settle(message.seq, 'interrupted', this.#name, [
          this.#note(message, 'interrupted', INTERRUPTED_NOTE, this.#editable(message.turn?.placeholderId)),
        ]);
    }
    if (counts.rerun + counts.answered + counts.interrupted === 0) return;
    this.#o.log(
      `${this.#name}: the last process stopped during ${counts.rerun + counts.answered + counts.interrupted} turn(s): ` +
        `${counts.rerun} had not reached the model and run again, ${counts.answered} had finished and their answers are sent, ` +
        `${counts.interrupted} were cut while working and their senders are told to send them again`,
    );
  }

  /**
   * Delivers, every OUTBOX_CHECK_MS, what other processes put in the outbox; and, while a paired
   * sender's turn runs, reads the pairings again. A revocation is told at once (host-turns.ts:
   * the store's event in this process, a watch on its file for another); this re-read is what
   * stops the turn where no such word comes (a file system that gives no file events).
   */
  async #checkOutbox(): Promise<void> {
    while (!this.#closing.signal.aborted) {
      await this.#sleep(OUTBOX_CHECK_MS);
      if (this.#closing.signal.aborted) break;
      await this.#active.stopRevoked().catch((error) => this.#active.readFailed(error));
      await this.#deliver();
    }
  }

  async #poll(): Promise<void> {
    const { channel, store } = this.#o;
    let failures = 0;
    while (!this.#closing.signal.aborted) {
      try {
        const updates = await channel.receive(await store.cursor(this.#name), this.#closing.signal);
        failures = 0;
        delete this.status.lastError;
        this.#health.received();
        if (updates.length > 0) await this.#take(updates);
      } catch (error) {
        if (this.#closing.signal.aborted) break;
        failures += 1;
        const message = (error as Error).message;
        this.status.lastError = message;
        this.#health.failed(message);
        const wait = retryWait(error, failures);
        this.#o.log(
          `${this.#name}: receiving failed (${message}); trying again in ${Math.round(wait / 1000)} s`,
        );
        await this.#sleep(wait);
      }
    }
  }

  /** Stores the updates' messages from allowed senders with the cursor past them, then runs them. */
  async #take(updates: ChannelUpdate[]): Promise<void> {
    const accepted: NewChannelInbound[] = [];
    const presses: ChannelButtonPress[] = [];
    const strangers = new Map<string, ChannelMessage>();
    const { senders } = this.#o;
    // With pairing on, the paired senders are read again (one small query) when a batch has someone the
    // configuration does not list, so `oxydra channels pair` (and --revoke) takes effect in a
    // running process without a restart.
    // A press counts too: a revoked sender's press must not answer their turn's approval question.
    if (
      senders.unknownSenders === 'pair' &&
      updates.some((u) => {
        const sender =
          u.kind === 'message' ? u.message.sender : u.kind === 'button' ? u.press.sender : undefined;
        return sender !== undefined && !senders.listed(sender.id);
      })
    ) {
      senders.setPaired(await this.#o.store.pairedSenders(this.#name));
      await this.#active.stopRevoked(false);
    }
    for (const update of updates) {
      if (update.kind === 'button') {
        presses.push(update.press);
        continue;
      }
      if (update.kind !== 'message') continue;
      const m = update.message;
      const user = senders.allowed(m.sender.id);
      // A stranger's direct message may get a pairing code; never in a group (others read it).
      if (!user && senders.unknownSenders === 'pair' && m.chatKind === 'private' && !m.edited)
        strangers.set(m.sender.id, m);
      // Only allowed senders, and in a group only messages that speak to the bot.
      if (!user || !m.addressed) continue;
      // An edit is not answered again (the answer to the first version stands).
      if (m.edited) continue;
      const text = m.chatKind === 'group' ? withoutMention(m.text, this.status.botName ?? '') : m.text.trim();
      accepted.push({
        conversation: m.conversation,
        messageId: m.id,
        chatId: m.chatId,
        ...(m.threadId !== undefined ? { threadId: m.threadId } : {}),
        senderId: m.sender.id,
        userId: user.userId,
        // Kept whole (the bound is checked when it runs, and the person told); files are fetched then too.
        text,
        ...(m.attachments.length > 0 ? { attachments: m.attachments.slice(0, MAX_FILES) } : {}),
      });
    }
    const cursor = updates.at(-1)!.cursor;
    const added = await this.#o.store.accept(this.#name, cursor, accepted);
    // Only now, stored, may a pushing platform be told the updates arrived.
    await this.#o.channel.acknowledge?.(cursor);
    this.status.accepted += added.length;
    // A press answers an approval question (or is told it is not the presser's, or no longer open).
    for (const press of presses) {
      if (this.#approvals) void this.#approvals.press(press);
      else this.#o.channel.answerButton(press.id, NO_LONGER_OPEN).catch(() => {});
    }
    for (const stranger of strangers.values()) await this.#pairing.offer(stranger);
    for (const message of added) {
      // /stop stops the sender's own answer only (in a group, others' turns are theirs).
      if (chatCommand(message.text) === 'stop') this.#active.stop(message);
      this.#schedule(message);
    }
  }

  #schedule(message: ChannelInbound): void {
    const key = message.conversation;
    const next = (this.#queues.get(key) ?? Promise.resolve())
      .then(() => this.#process(message))
      .catch((error) =>
        this.#o.log(`${this.#name}: message ${message.seq} failed: ${(error as Error).message}`),
      );
    this.#queues.set(key, next);
    void next.then(() => {
      if (this.#queues.get(key) === next) this.#queues.delete(key);
    });
  }

  async #process(message: ChannelInbound): Promise<void> {
    const { store } = this.#o;
    if (this.#closing.signal.aborted || !(await store.claim(message.seq))) return;
    if (!(await this.#stillAllowed(message))) {
      // Revoked (or taken out of the configuration) after the message was stored: not run, and
      // nothing sent, as for any sender not let in.
      this.#o.log(
        `${this.#name}: message ${message.seq} not run: sender ${message.senderId} is no longer let in as ${message.userId}`,
      );
      await store.settle(message.seq, 'failed', this.#name, []);
      return;
    }
    let reply = await this.#commandReply(message);
    let prompt = message.text;
    if (reply === undefined && message.attachments?.length) {
      const taken = await this.#takeFiles(message);
      if ('refusal' in taken) reply = taken.refusal;
      else prompt = taken.prompt;
    }
    if (reply !== undefined) {
      await store.settle(message.seq, 'answered', this.#name, [this.#note(message, 'reply', reply)]);
    } else {
      const signal = this.#active.begin(message);
      try {
        const sessionId = await this.#session(message);
        const afterSeq =
          sessionId !== undefined
            ? ((await this.#o.kernel.sessions?.stamp(sessionId))?.lastSeq ?? 0)
            : undefined;
        const outcome = await runChatTurn({
          kernel: this.#o.kernel,
          userSlots: this.#o.userSlots,
          channel: this.#o.channel,
          message: { ...message, text: prompt },
          sessionId,
          agent: this.#o.agent,
          approvals: this.#approvals,
          signal,
          timer: this.#timer,
          log: this.#o.log,
          placeholderId: message.turn?.placeholderId,
          channelSlots: this.#turnSlots,
          // Where the turn begins, stored before the kernel has it: what a restart reads (recover.ts).
          begin: (placeholderId) =>
            store.markTurn(message.seq, {
              ...(sessionId !== undefined ? { sessionId, afterSeq } : {}),
              ...(placeholderId !== undefined ? { placeholderId } : {}),
            }),
        });
        // Stopped by the process ending, not by /stop: the person is told to send it again.
        if (this.#closing.signal.aborted && outcome.status === 'stopped') {
          await store.settle(message.seq, 'interrupted', this.#name, [
            this.#note(message, 'interrupted', INTERRUPTED_NOTE, outcome.parts[0]?.editOf),
          ]);
        } else {
          // Stored first, then held back for the edit interval: a crash while waiting leaves the
          // answer in the outbox (sent at the next start), not a turn marked interrupted.
          await store.settle(message.seq, outcome.status, this.#name, outcome.parts);
          if (outcome.status === 'answered') this.status.answered += 1;
          if (outcome.waitMs > 0) {
            // The chat's next message waits too, so the chat keeps the platform's pace.
            this.#outbox.hold(message.chatId, this.#timer.now() + outcome.waitMs);
            await this.#sleep(outcome.waitMs);
          }
        }
      } finally {
        this.#active.end(message);
      }
    }
    await this.#deliver();
  }

  /** The message's files (take-files.ts); /stop stops their download, as it stops a turn. */
  async #takeFiles(message: ChannelInbound): ReturnType<typeof takeFiles> {
    const stop = this.#active.begin(message);
    try {
      return await takeFiles(message, {
        channel: this.#o.channel,
        workspace: this.#o.workspace,
        maxFileBytes: this.#o.maxFileBytes,
        ...(this.#o.downloadTimeoutMs !== undefined ? { downloadTimeoutMs: this.#o.downloadTimeoutMs } : {}),
        signal: AbortSignal.any([this.#closing.signal, stop]),
        log: this.#o.log,
      });
    } finally {
      this.#active.end(message);
    }
  }

  /**
   * Whether the message's sender is still let in as the user it was stored for: a message waits
   * behind its conversation's turn, or for a restart, and the owner may revoke a pairing (or edit
   * the senders) meanwhile. A sender the configuration does not list is read again from the store.
   */
  async #stillAllowed(message: ChannelInbound): Promise<boolean> {
    const { senders, store } = this.#o;
    if (senders.unknownSenders === 'pair' && !senders.listed(message.senderId))
      senders.setPaired(await store.pairedSenders(this.#name));
    return senders.allowed(message.senderId)?.userId === message.userId;
  }

  /** The reply to a command (or a message not taken as a prompt); undefined for a prompt. */
  async #commandReply(message: ChannelInbound): Promise<string | undefined> {
    if (message.text.length > MAX_PROMPT_CHARS) {
      return `That message is too long (${message.text.length} characters; at most ${MAX_PROMPT_CHARS}).`;
    }
    const command = chatCommand(message.text);
    if (command === 'help') return HELP_TEXT;
    if (command === 'stop') return 'Stopped.';
    if (command === 'cost' || command === 'undo') {
      const { service } = this.#o.kernel;
      if (!service) return `/${command} is not available here.`;
      const sessionId = await this.#o.store.session(this.#name, sessionKey(message));
      return command === 'cost'
        ? costReply({ service }, message.userId, sessionId)
        : undoReply({ service }, sessionId, `channel:${this.#name}:${message.userId}`);
    }
    if (command === 'new') {
      const id = await this.#newSession(message);
      return id !== undefined
        ? 'Started a new conversation.'
        : 'Memory is off here: every message starts fresh.';
    }
    if (message.text.trim() === '' && !message.attachments?.length) return 'Send your question as text.';
    return undefined;
  }

  /** The session the sender's conversation continues, created on its first message. */
  async #session(message: ChannelInbound): Promise<string | undefined> {
    const existing = await this.#o.store.session(this.#name, sessionKey(message));
    return existing ?? (await this.#newSession(message));
  }

  async #newSession(message: ChannelInbound): Promise<string | undefined> {
    const sessions = this.#o.kernel.sessions;
    if (!sessions) return undefined;
    const session = await sessions.create({
      userId: message.userId,
      channelOrigin: this.#name,
      title: `${this.#name} chat ${message.conversation}`,
      ...(this.#o.agent !== undefined ? { agent: this.#o.agent } : {}),
    });
    await this.#o.store.setSession(this.#name, sessionKey(message), session.id);
    return session.id;
  }

  /**
   * A message of the host's own. Given the placeholder of a cut turn, the note replaces it (an
   * edit): sent again after a kill between the platform's answer and the outbox's mark, an edit
   * changes nothing, where a second message would show the note twice (neither Telegram nor
   * Slack takes an idempotency key for a new message).
   */
  #note(message: ChannelInbound, kind: string, text: string, editOf?: string): NewChannelOutbound {
    return {
      key: `${kind}:${message.seq}`,
      chatId: message.chatId,
      ...(message.threadId !== undefined ? { threadId: message.threadId } : {}),
      text,
      ...(editOf !== undefined ? { editOf } : {}),
    };
  }

  /** `placeholderId`, if this channel edits messages (else a note is a message of its own). */
  #editable(placeholderId: string | undefined): string | undefined {
    return this.#o.channel.capabilities.edit ? placeholderId : undefined;
  }

  #deliver(): Promise<void> {
    return this.#outbox.deliver();
  }

  #sleep(ms: number): Promise<void> {
    return sleepUnless(this.#timer, ms, this.#closing.signal);
  }
}
