/**
 * Who may talk to a channel (Oxydra's default-deny sender policy): only platform ids listed in
 * `[[channels.<name>.senders]]` are answered, each as the kernel user its entry names. Anyone
 * else gets nothing: no reply (a reply would confirm the bot exists and is watched), and one log
 * line per unknown sender, not one per message, so a stranger cannot flood the log. With
 * `unknown_senders = "pair"` the host also lets in the senders the owner paired (pairing.ts),
 * kept in the channel store; the configured list wins over a pairing.
 */
import type { ChannelPairedSender, ChannelSenderConfig } from '@oxydra/types';

export interface KnownSender {
  userId: string;
  displayName?: string;
}

export class SenderPolicy {
  readonly #known = new Map<string, KnownSender>();
  readonly #reported = new Set<string>();
  /** Paired senders, as last read from the store (setPaired). */
  #paired = new Map<string, KnownSender>();

  constructor(
    readonly channel: string,
    senders: readonly ChannelSenderConfig[],
    private readonly log: (line: string) => void,
    /** What a stranger's direct message gets: nothing, or a pairing code. */
    readonly unknownSenders: 'ignore' | 'pair' = 'ignore',
  ) {
    for (const sender of senders) {
      const userId = sender.user ?? `${channel}-${sender.platform_ids[0]}`;
      for (const id of sender.platform_ids) {
        this.#known.set(id, { userId, ...(sender.display_name ? { displayName: sender.display_name } : {}) });
      }
    }
  }

  get size(): number {
    return this.#known.size;
  }

  /** Whether the configuration lists the sender (a pairing is then not needed, nor used). */
  listed(platformId: string): boolean {
    return this.#known.has(platformId);
  }

  /** Replaces the paired senders (the store's current list). */
  setPaired(paired: readonly ChannelPairedSender[]): void {
    this.#paired = new Map(
      paired.map((p) => [p.senderId, { userId: p.userId, ...(p.name ? { displayName: p.name } : {}) }]),
    );
  }

  /** The sender's user, or undefined (and the first time, a log line) for someone not listed nor paired. */
  allowed(platformId: string): KnownSender | undefined {
    const known = this.#known.get(platformId) ?? this.#paired.get(platformId);
    if (known) return known;
    if (this.#reported.size < 10_000 && !this.#reported.has(platformId)) {
      this.#reported.add(platformId);
      const how =
        this.unknownSenders === 'pair'
          ? 'direct messages get a pairing code for `oxydra channels pair`'
          : `to let them in, add "${platformId}" to a [[channels.${this.channel}.senders]] platform_ids`;
      this.log(`${this.channel}: ignoring messages from unknown sender ${platformId} (${how})`);
    }
    return undefined;
  }
}
