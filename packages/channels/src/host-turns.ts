/**
 * The host's running turns (and file downloads), one per sender's conversation, with the watch
 * that stops a revoked sender's turn: begun and ended here so the watch listens exactly while a
 * paired (unlisted) sender's turn can be revoked. The host keeps the queueing and the turn
 * itself; this keeps who is running and who may no longer be (running-turns.ts,
 * revocation-watch.ts).
 */
import type { ChannelInbound, ChannelStore } from '@oxydra/types';
import { RevocationWatch } from './revocation-watch.js';
import { RunningTurns } from './running-turns.js';
import type { SenderPolicy } from './senders.js';

/** A conversation's session is per sender in a group (each sender is their own kernel user). */
export function sessionKey(message: ChannelInbound): string {
  return `${message.conversation}/${message.userId}`;
}

interface HostTurnsOptions {
  /** The channel's name, in the store and in log lines. */
  name: string;
  senders: SenderPolicy;
  store: ChannelStore;
  log: (line: string) => void;
}

export class HostTurns {
  readonly #running = new RunningTurns();
  /** While a paired sender's turn runs: the store's word of a pairing change stops it at once. */
  readonly #revocations: RevocationWatch;

  constructor(private readonly o: HostTurnsOptions) {
    this.#revocations = new RevocationWatch(
      (listener) => o.store.onPairingsChanged(listener),
      () => this.stopRevoked().catch((error) => this.readFailed(error)),
    );
  }

  /** Records a running turn (or download) of the message's sender; its signal is what stops it. */
  begin(message: ChannelInbound): AbortSignal {
    const signal = this.#running.begin(sessionKey(message), message);
    this.#revocations.update(this.#running.someUnlisted(this.o.senders));
    return signal;
  }

  end(message: ChannelInbound): void {
    this.#running.end(sessionKey(message));
    this.#revocations.update(this.#running.someUnlisted(this.o.senders));
  }

  /** A `/stop` from the message's sender. */
  stop(message: ChannelInbound): void {
    this.#running.stop(sessionKey(message));
  }

  /** Stops every running turn (the process is stopping and its grace ran out). */
  stopAll(): void {
    this.#running.stopAll();
  }

  /** Listens no more; the host is closed. */
  close(): void {
    this.#revocations.update(false);
  }

  /** Stops the running turns of senders no longer let in (the store's pairings read again when one may be). */
  async stopRevoked(reread = true): Promise<void> {
    const { senders, name } = this.o;
    if (!this.#running.someUnlisted(senders)) return;
    if (reread) senders.setPaired(await this.o.store.pairedSenders(name));
    for (const { senderId, userId } of this.#running.stopRevoked(senders))
      this.o.log(`${name}: stopped the running turn of sender ${senderId}: no longer let in as ${userId}`);
  }

  readFailed(error: unknown): void {
    this.o.log(`${this.o.name}: reading the pairings failed: ${(error as Error).message}`);
  }
}
