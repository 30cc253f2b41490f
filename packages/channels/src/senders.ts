/**
 * Who may talk to a channel (Oxydra's default-deny sender policy): only platform ids listed in
 * `[[channels.<name>.senders]]` are answered, each as the kernel user its entry names. Anyone
 * else gets nothing: no reply (a reply would confirm the bot exists and is watched), and one log
 * line per unknown sender, not one per message, so a stranger cannot flood the log.
 */
import type { ChannelSenderConfig } from '@oxydra/types';

export interface KnownSender {
  userId: string;
  displayName?: string;
}

export class SenderPolicy {
  readonly #known = new Map<string, KnownSender>();
  readonly #reported = new Set<string>();

  constructor(
    readonly channel: string,
    senders: readonly ChannelSenderConfig[],
    private readonly log: (line: string) => void,
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

  /** The sender's user, or undefined (and the first time, a log line) for someone not listed. */
  allowed(platformId: string): KnownSender | undefined {
    const known = this.#known.get(platformId);
    if (known) return known;
    if (this.#reported.size < 10_000 && !this.#reported.has(platformId)) {
      this.#reported.add(platformId);
      this.log(
        `${this.channel}: ignoring messages from unknown sender ${platformId} (to let them in, add "${platformId}" to a [[channels.${this.channel}.senders]] platform_ids)`,
      );
    }
    return undefined;
  }
}
