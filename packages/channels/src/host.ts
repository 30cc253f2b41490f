/**
 * The channel host: one per configured channel. It receives the platform's updates, stores the
 * messages it accepts together with the platform cursor (one transaction), runs each prompt
 * through the kernel as its sender's user on its conversation's session, and sends every answer
 * through the outbox. Conversations run side by side; the messages of one run in order.
 *
 * What a restart does: messages accepted but not started run; a message whose turn was running
 * is not run again (its tools may have acted) and its sender is told to send it again; outbox
 * messages not marked sent are sent. The host never assembles an agent: it calls the kernel.
 */
import { type Clock, systemClock } from '@oxydra/runtime';
import {
  type Channel,
  type ChannelInbound,
  ChannelRetryableError,
  type ChannelStore,
  type ChannelUpdate,
  type NewChannelInbound,
  type NewChannelOutbound,
  type SessionStore,
} from '@oxydra/types';
import { chatCommand, HELP_TEXT, withoutMention } from './commands.js';
import type { SenderPolicy } from './senders.js';

import { runChatTurn, type TurnKernel } from './turn.js';

/** The longest prompt taken from a chat; a longer one is refused with a note (hostile-input bound). */
export const MAX_PROMPT_CHARS = 16_000;

/** How long close() lets running turns finish before stopping them. */
const CLOSE_GRACE_MS = 10_000;

/** A hold this close to its end counts as over (a timer may fire a few ms before the wall clock agrees). */
const HOLD_SLACK_MS = 50;

export const INTERRUPTED_NOTE =
  'Oxydra stopped while answering this message, so it was not finished. Send it again to get an answer.';

/** What the host needs of the kernel: spawning turns, and the sessions to create per conversation. */
type HostKernel = TurnKernel & { sessions: Pick<SessionStore, 'create'> | undefined };

export interface ChannelHostOptions {
  kernel: HostKernel;
  channel: Channel;
  store: ChannelStore;
  senders: SenderPolicy;
  /** The `[agents.<name>]` answering; unset: the default agent. */
  agent?: string;
  log: (line: string) => void;
  timer?: Clock;
}

export interface ChannelStatus {
  channel: string;
  botName?: string;
  /** Messages accepted from allowed senders since start. */
  accepted: number;
  answered: number;
  /** The last receive or send error, until the next success. */
  lastError?: string;
}

export class ChannelHost {
  readonly #o: ChannelHostOptions;
  readonly #timer: Clock;
  readonly #closing = new AbortController();
  /** Each conversation's chain of messages, so one conversation's messages run in order. */
  readonly #queues = new Map<string, Promise<void>>();
  /** The running turn of each sender's conversation, for /stop. */
  readonly #active = new Map<string, AbortController>();
  /** Per chat, the time before which nothing is sent to it (the edit interval of its last turn). */
  readonly #notBefore = new Map<string, number>();
  #delivering: Promise<void> | undefined;
  #deliverAgain = false;
  #polling: Promise<void> | undefined;
  readonly status: ChannelStatus;

  constructor(options: ChannelHostOptions) {
    this.#o = options;
    this.#timer = options.timer ?? systemClock;
    this.status = { channel: options.channel.name, accepted: 0, answered: 0 };
  }

  get #name(): string {
    return this.#o.channel.name;
  }

  /** Connects, settles what the last process left, and starts receiving. */
  async start(): Promise<{ botName: string }> {
    const { channel, store } = this.#o;
    const { botName } = await channel.start();
    this.status.botName = botName;
    const cut = await store.interruptRunning(this.#name);
    if (cut.length > 0) {
      await store.enqueue(
        this.#name,
        cut.map((m) => this.#note(m, 'interrupted', INTERRUPTED_NOTE)),
      );
      this.#o.log(
        `${this.#name}: ${cut.length} message(s) were being answered when the last process stopped; their senders are told to send them again`,
      );
    }
    void this.#deliver();
    for (const message of await store.pending(this.#name)) this.#schedule(message);
    this.#polling = this.#poll();
    return { botName };
  }

  /**
   * Stops receiving, gives the running turns `graceMs` to finish, then stops them (their senders
   * are told to send again), sends what it can, and closes.
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    this.#closing.abort();
    await this.#polling;
    const drained = Promise.allSettled([...this.#queues.values()]);
    let timer: unknown;
    const late = new Promise<'late'>((resolve) => {
      timer = this.#timer.setTimeout(() => resolve('late'), graceMs);
    });
    if ((await Promise.race([drained, late])) === 'late') {
      for (const controller of this.#active.values()) controller.abort();
      await drained;
    }
    this.#timer.clearTimeout(timer);
    await this.#deliver();
    await this.#o.channel.close();
  }

  async #poll(): Promise<void> {
    const { channel, store } = this.#o;
    let failures = 0;
    while (!this.#closing.signal.aborted) {
      try {
        const updates = await channel.receive(await store.cursor(this.#name), this.#closing.signal);
        failures = 0;
        delete this.status.lastError;
        if (updates.length > 0) await this.#take(updates);
      } catch (error) {
        if (this.#closing.signal.aborted) break;
        failures += 1;
        const message = (error as Error).message;
        this.status.lastError = message;
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
    const presses: string[] = [];
    for (const update of updates) {
      if (update.kind === 'button') {
        presses.push(update.press.id);
        continue;
      }
      if (update.kind !== 'message') continue;
      const m = update.message;
      // Only listed senders, and in a group only messages that speak to the bot.
      if (!this.#o.senders.allowed(m.sender.id) || !m.addressed) continue;
      // An edit is not answered again (the answer to the first version stands).
      if (m.edited) continue;
      const user = this.#o.senders.allowed(m.sender.id)!;
      const text = m.chatKind === 'group' ? withoutMention(m.text, this.status.botName ?? '') : m.text.trim();
      accepted.push({
        conversation: m.conversation,
        messageId: m.id,
        chatId: m.chatId,
        ...(m.threadId !== undefined ? { threadId: m.threadId } : {}),
        senderId: m.sender.id,
        userId: user.userId,
        // Kept whole (the bound is checked when it runs, and the person told); files are not read yet.
        text,
      });
    }
    const cursor = updates.at(-1)!.cursor;
    const added = await this.#o.store.accept(this.#name, cursor, accepted);
    // Only now, stored, may a pushing platform be told the updates arrived.
    await this.#o.channel.acknowledge?.(cursor);
    this.status.accepted += added.length;
    // No question with buttons is asked yet: a press (of an old message) is acknowledged and dropped.
    for (const id of presses)
      this.#o.channel.answerButton(id, 'This question is no longer open.').catch(() => {});
    for (const message of added) {
      // /stop stops the sender's own answer only (in a group, others' turns are theirs).
      if (chatCommand(message.text) === 'stop') this.#active.get(sessionKey(message))?.abort();
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
    const reply = await this.#commandReply(message);
    if (reply !== undefined) {
      await store.settle(message.seq, 'answered', this.#name, [this.#note(message, 'reply', reply)]);
    } else {
      const controller = new AbortController();
      this.#active.set(sessionKey(message), controller);
      try {
        const outcome = await runChatTurn({
          kernel: this.#o.kernel,
          channel: this.#o.channel,
          message,
          sessionId: await this.#session(message),
          agent: this.#o.agent,
          signal: controller.signal,
          timer: this.#timer,
          log: this.#o.log,
        });
        // Stopped by the process ending, not by /stop: the person is told to send it again.
        if (this.#closing.signal.aborted && outcome.status === 'stopped') {
          await store.settle(message.seq, 'interrupted', this.#name, [
            this.#note(message, 'interrupted', INTERRUPTED_NOTE),
          ]);
        } else {
          // Stored first, then held back for the edit interval: a crash while waiting leaves the
          // answer in the outbox (sent at the next start), not a turn marked interrupted.
          await store.settle(message.seq, outcome.status, this.#name, outcome.parts);
          if (outcome.status === 'answered') this.status.answered += 1;
          if (outcome.waitMs > 0) {
            // The chat's next message waits too, so the chat keeps the platform's pace.
            this.#notBefore.set(message.chatId, this.#timer.now() + outcome.waitMs);
            await this.#sleep(outcome.waitMs);
          }
        }
      } finally {
        this.#active.delete(sessionKey(message));
      }
    }
    await this.#deliver();
  }

  /** The reply to a command (or a message not taken as a prompt); undefined for a prompt. */
  async #commandReply(message: ChannelInbound): Promise<string | undefined> {
    if (message.text.length > MAX_PROMPT_CHARS) {
      return `That message is too long (${message.text.length} characters; at most ${MAX_PROMPT_CHARS}).`;
    }
    const command = chatCommand(message.text);
    if (command === 'help') return HELP_TEXT;
    if (command === 'stop') return 'Stopped.';
    if (command === 'new') {
      const id = await this.#newSession(message);
      return id !== undefined
        ? 'Started a new conversation.'
        : 'Memory is off here: every message starts fresh.';
    }
    if (message.text.trim() === '') return 'Send your question as text (files and images are not read yet).';
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

  #note(message: ChannelInbound, kind: string, text: string): NewChannelOutbound {
    return {
      key: `${kind}:${message.seq}`,
      chatId: message.chatId,
      ...(message.threadId !== undefined ? { threadId: message.threadId } : {}),
      text,
    };
  }

  /** Sends the outbox's unsent messages in order; one delivery at a time, again if asked meanwhile. */
  #deliver(): Promise<void> {
    if (this.#delivering) {
      this.#deliverAgain = true;
      return this.#delivering;
    }
    this.#delivering = (async () => {
      do {
        this.#deliverAgain = false;
        const held = new Set<string>();
        for (const item of await this.#o.store.unsent(this.#name)) {
          // A chat waiting out its edit interval keeps its messages, in order, for later.
          const until = this.#notBefore.get(item.chatId) ?? 0;
          const early = until - this.#timer.now() > HOLD_SLACK_MS && !this.#closing.signal.aborted;
          if (held.has(item.chatId) || early) {
            held.add(item.chatId);
            continue;
          }
          this.#notBefore.delete(item.chatId);
          await this.#sendOne(item);
        }
      } while (this.#deliverAgain);
    })()
      .catch((error) => this.#o.log(`${this.#name}: delivering failed: ${(error as Error).message}`))
      .finally(() => {
        this.#delivering = undefined;
      });
    return this.#delivering;
  }

  async #sendOne(item: NewChannelOutbound): Promise<void> {
    const { channel, store } = this.#o;
    const target = {
      chatId: item.chatId,
      ...(item.threadId !== undefined ? { threadId: item.threadId } : {}),
    };
    let editOf = item.editOf;
    for (let failures = 1; ; failures += 1) {
      try {
        let id: string;
        if (editOf !== undefined) {
          await channel.edit(target, editOf, item.text);
          id = editOf;
        } else id = (await channel.send(target, item.text)).messageId;
        await store.markSent(this.#name, item.key, id);
        return;
      } catch (error) {
        const message = (error as Error).message;
        this.status.lastError = message;
        if (error instanceof ChannelRetryableError && !this.#closing.signal.aborted) {
          await this.#sleep(retryWait(error, failures));
          continue;
        }
        if (error instanceof ChannelRetryableError) return; // stopping: left unsent for the next start
        if (editOf !== undefined) {
          // The message to edit is gone (deleted in the chat): the text is sent as a new one.
          editOf = undefined;
          continue;
        }
        this.#o.log(`${this.#name}: gave up sending to chat ${item.chatId}: ${message}`);
        await store.markSent(this.#name, item.key, 'undeliverable');
        return;
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#timer.clearTimeout(handle);
        this.#closing.signal.removeEventListener('abort', done);
        resolve();
      };
      const handle = this.#timer.setTimeout(done, ms);
      this.#closing.signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** A conversation's session is per sender in a group (each sender is their own kernel user). */
function sessionKey(message: ChannelInbound): string {
  return `${message.conversation}/${message.userId}`;
}

/** How long to wait before trying again: what the platform asked, else 1 s doubling to 30 s. */
function retryWait(error: unknown, failures: number): number {
  if (error instanceof ChannelRetryableError && error.retryAfterMs !== undefined) return error.retryAfterMs;
  return Math.min(30_000, 1000 * 2 ** Math.min(failures - 1, 5));
}
