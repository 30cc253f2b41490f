/**
 * The turns (and file downloads) a channel host is running, one per sender's conversation, and
 * who each runs for: what `/stop` stops, what a stop of the process stops, and what a revoked
 * pairing stops. A revoked sender's queued messages are refused when their turn comes (the host
 * checks again then); a turn already running is stopped here, so a sender shut out cannot keep
 * an agent working (its tools, its spend) for the rest of a long answer.
 */
import type { SenderPolicy } from './senders.js';

/** Why a turn was stopped, as the line the conversation is shown (`(stopped)` by default). */
class TurnStop extends Error {
  constructor(readonly note: string) {
    super(note);
  }
}

/** What a turn ended by revocation says: the sender may no longer be let in, but the chat keeps a record of why. */
export const REVOKED_NOTE = "stopped: this sender's access was revoked";

/** The line a stopped turn's answer ends with: its stop's own note, or "stopped" (a /stop, the process ending). */
export function stopNote(signal: AbortSignal): string {
  return signal.reason instanceof TurnStop ? signal.reason.note : 'stopped';
}

interface Running {
  controller: AbortController;
  senderId: string;
  userId: string;
}

export class RunningTurns {
  readonly #running = new Map<string, Running>();

  /** Records a turn of `key` (a sender's conversation); its signal is what stops it. */
  begin(key: string, who: { senderId: string; userId: string }): AbortSignal {
    const controller = new AbortController();
    this.#running.set(key, { controller, ...who });
    return controller.signal;
  }

  end(key: string): void {
    this.#running.delete(key);
  }

  /** `/stop`: the sender's own turn in this conversation. */
  stop(key: string): void {
    this.#running.get(key)?.controller.abort();
  }

  stopAll(): void {
    for (const { controller } of this.#running.values()) controller.abort();
  }

  /** Whether a running turn is a sender the configuration does not list (a paired one, who can be revoked). */
  someUnlisted(senders: SenderPolicy): boolean {
    return [...this.#running.values()].some((turn) => !senders.listed(turn.senderId));
  }

  /**
   * Stops each turn whose sender is no longer let in as the user it runs for (the policy's paired
   * senders as last read); returns them, for the log.
   */
  stopRevoked(senders: SenderPolicy): { senderId: string; userId: string }[] {
    const stopped: { senderId: string; userId: string }[] = [];
    for (const turn of this.#running.values()) {
      if (turn.controller.signal.aborted || senders.allowed(turn.senderId)?.userId === turn.userId) continue;
      turn.controller.abort(new TurnStop(REVOKED_NOTE));
      stopped.push({ senderId: turn.senderId, userId: turn.userId });
    }
    return stopped;
  }
}
