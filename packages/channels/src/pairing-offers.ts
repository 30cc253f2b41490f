/**
 * The host's side of pairing (pairing.ts): a stranger writing in a direct chat is sent a code,
 * unless they have a request open already (one code per sender per hour) or the channel has its
 * fill of open requests. The code is sent directly, not through the outbox, so it is never
 * stored in plain; when it cannot be sent the request is dropped and the stranger's next
 * message tries again.
 */
import type { Clock } from '@oxydra/runtime';
import type { Channel, ChannelMessage, ChannelStore } from '@oxydra/types';
import {
  hashPairingCode,
  MAX_PENDING_PAIRINGS,
  newPairingCode,
  pairingMessage,
  pairingStaleBefore,
} from './pairing.js';

export class PairingOffers {
  /** "Full" is logged once until a request is created again (strangers may write often). */
  #fullReported = false;

  constructor(
    private readonly channel: Channel,
    private readonly store: ChannelStore,
    private readonly timer: Clock,
    private readonly log: (line: string) => void,
  ) {}

  async offer(m: ChannelMessage): Promise<void> {
    const { store, channel } = this;
    const name = channel.name;
    const now = new Date(this.timer.now());
    const code = newPairingCode();
    const outcome = await store.requestPairing(
      name,
      {
        senderId: m.sender.id,
        ...(m.sender.name !== undefined ? { name: m.sender.name.slice(0, 100) } : {}),
        chatId: m.chatId,
        codeHash: hashPairingCode(code),
        requestedAt: now.toISOString(),
      },
      { maxPending: MAX_PENDING_PAIRINGS, staleBefore: pairingStaleBefore(now) },
    );
    if (outcome === 'full' && !this.#fullReported) {
      this.#fullReported = true;
      this.log(
        `${name}: ${MAX_PENDING_PAIRINGS} pairing requests are open; more strangers get no code until one is approved or expires (\`oxydra channels pair\` lists them)`,
      );
    }
    if (outcome !== 'created') return;
    this.#fullReported = false;
    try {
      await channel.send({ chatId: m.chatId }, pairingMessage(name, code));
      this.log(
        `${name}: sent a pairing code to unknown sender ${m.sender.id}; \`oxydra channels pair\` lists the open requests`,
      );
    } catch (error) {
      await store.dropPairingRequest(name, m.sender.id);
      this.log(
        `${name}: could not send a pairing code to ${m.sender.id} (${(error as Error).message}); their next message tries again`,
      );
    }
  }
}
