/**
 * The outbox's sender: sends a channel's unsent outbox messages in order, each marked sent once
 * the platform took it, retrying what the platform asks to retry and keeping what it refuses for
 * good with its error (status, the dashboard). A chat waiting out its edit interval keeps its
 * messages, in order, for a later pass. One pass at a time; asked again meanwhile, it runs again.
 */
import type { Clock } from '@oxydra/runtime';
import {
  type Channel,
  type ChannelOutbound,
  ChannelRetryableError,
  type ChannelSendOptions,
  type ChannelStore,
  type ChannelTarget,
} from '@oxydra/types';
import { DEFAULT_MAX_FILE_BYTES, filePolicy, readWorkspaceFile } from './files.js';
import { errorText, type HealthRecorder } from './health.js';
import { retryWait, sleepUnless } from './wait.js';

/** A hold this close to its end counts as over (a timer may fire a few ms before the wall clock agrees). */
const HOLD_SLACK_MS = 50;

export interface OutboxDeliveryOptions {
  channel: Channel;
  store: ChannelStore;
  health: HealthRecorder;
  timer: Clock;
  /** Aborted when the host closes: retries stop (left unsent for the next start), holds end. */
  closing: AbortSignal;
  log: (line: string) => void;
  /** Called with each send error (the host's status shows the last one). */
  onError: (message: string) => void;
  workspace?: string | undefined;
  maxFileBytes?: number | undefined;
  vaultPath?: string | undefined;
  /** The kernel's secret values: a file holding one is not sent (readWorkspaceFile). */
  secrets?: readonly string[] | undefined;
}

export class OutboxDelivery {
  readonly #o: OutboxDeliveryOptions;
  /** Per chat, the time before which nothing is sent to it (the edit interval of its last turn). */
  readonly #notBefore = new Map<string, number>();
  #running: Promise<void> | undefined;
  #again = false;

  constructor(options: OutboxDeliveryOptions) {
    this.#o = options;
  }

  get #name(): string {
    return this.#o.channel.name;
  }

  /** Nothing is sent to the chat before `until` (its messages wait, in order). */
  hold(chatId: string, until: number): void {
    this.#notBefore.set(chatId, until);
  }

  /** Sends the outbox's unsent messages in order; one pass at a time, again if asked meanwhile. */
  deliver(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        const held = new Set<string>();
        for (const item of await this.#o.store.unsent(this.#name)) {
          const until = this.#notBefore.get(item.chatId) ?? 0;
          const early = until - this.#o.timer.now() > HOLD_SLACK_MS && !this.#o.closing.aborted;
          if (held.has(item.chatId) || early) {
            held.add(item.chatId);
            continue;
          }
          this.#notBefore.delete(item.chatId);
          await this.#sendOne(item);
        }
      } while (this.#again);
    })()
      .catch((error) => this.#o.log(`${this.#name}: delivering failed: ${(error as Error).message}`))
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  async #sendOne(item: ChannelOutbound): Promise<void> {
    const { channel, store, health, closing } = this.#o;
    const target = {
      chatId: item.chatId,
      ...(item.threadId !== undefined ? { threadId: item.threadId } : {}),
    };
    let editOf = item.editOf;
    for (let failures = 1; ; failures += 1) {
      try {
        let id: string;
        const once = { idempotencyKey: item.key };
        if (item.file !== undefined) id = await this.#sendFile(target, item.file, once);
        else if (editOf !== undefined) {
          await channel.edit(target, editOf, item.text);
          id = editOf;
        } else id = (await channel.send(target, item.text, once)).messageId;
        await store.markSent(this.#name, item.key, id);
        health.sent();
        return;
      } catch (error) {
        const message = (error as Error).message;
        this.#o.onError(message);
        health.failed(message);
        if (error instanceof ChannelRetryableError && !closing.aborted) {
          await sleepUnless(this.#o.timer, retryWait(error, failures), closing);
          continue;
        }
        if (error instanceof ChannelRetryableError) return; // stopping: left unsent for the next start
        if (editOf !== undefined) {
          // The message to edit is gone (deleted in the chat): the text is sent as a new one.
          editOf = undefined;
          continue;
        }
        this.#o.log(`${this.#name}: gave up sending to chat ${item.chatId}: ${message}`);
        // Kept with its error (the adapter's, token-free) for status and the dashboard.
        await store.markFailed(this.#name, item.key, errorText(message));
        return;
      }
    }
  }

  /**
   * Sends a workspace file an answer named; a file that cannot be read (gone, too large, outside
   * the workspace) or a channel without files is sent as a note saying so instead.
   */
  async #sendFile(target: ChannelTarget, path: string, once: ChannelSendOptions): Promise<string> {
    const { channel, workspace } = this.#o;
    let note: string | undefined;
    if (!channel.capabilities.files || !channel.sendFile || workspace === undefined) {
      note = `(${path} is not sent: files cannot be sent here)`;
    } else {
      let file: { name: string; bytes: Uint8Array } | undefined;
      try {
        file = await readWorkspaceFile(
          workspace,
          path,
          this.#o.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
          filePolicy(workspace, this.#o.vaultPath),
          this.#o.secrets,
        );
      } catch (error) {
        // An errno's message names the absolute path: the code alone is told.
        const code = (error as NodeJS.ErrnoException).code;
        const errno = typeof code === 'string' && /^E[A-Z]+$/.test(code);
        const why = errno ? `it cannot be read (${code})` : (error as Error).message.slice(0, 200);
        note = `(${path} could not be sent: ${why})`;
      }
      // The platform's errors go to #sendOne: retried, or final like a text's.
      if (file) return (await channel.sendFile(target, file, undefined, once)).messageId;
    }
    return (await channel.send(target, note ?? `(${path} could not be sent)`, once)).messageId;
  }
}
