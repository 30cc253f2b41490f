/**
 * The end of a deployment's session turn in one store transaction (SessionStore.endTurn): the
 * run's answer and the writes it handed over instead of making them (the audit head's copy:
 * SpawnSpec.sessionWrites.end), the turn's final record, and the release of its claim: one
 * commit and, on PostgreSQL, one round trip and one WAL flush (docs/postgres.md, "Ninth round").
 */
import type { SessionStore } from '@oxydra/memory';
import type { AppendedTurn, Message, SessionStateWrite, TurnEndResult, TurnEndWrites } from '@oxydra/types';

interface HandedState {
  write: SessionStateWrite;
  done: (written: boolean) => void;
}

interface HandedAnswer {
  messages: readonly Message[];
  done: (stored: AppendedTurn | undefined) => void;
}

export class TurnEnd implements TurnEndWrites {
  #states: HandedState[] = [];
  #answer: HandedAnswer | undefined;
  #closed = false;
  /** The answer handed over was stored by neither the end nor the append after it. */
  lost = false;

  state(write: SessionStateWrite): Promise<boolean> | undefined {
    if (this.#closed) return undefined;
    return new Promise((done) => this.#states.push({ write, done }));
  }

  append(
    messages: readonly Message[],
  ): { stored: Promise<AppendedTurn | undefined>; withdraw(): boolean } | undefined {
    if (this.#closed || this.#answer) return undefined;
    let answer: HandedAnswer | undefined;
    const stored = new Promise<AppendedTurn | undefined>((done) => {
      answer = { messages, done };
    });
    this.#answer = answer;
    return {
      stored,
      withdraw: () => {
        if (this.#closed || this.#answer !== answer) return false;
        this.#answer = undefined;
        answer?.done(undefined);
        return true;
      },
    };
  }

  /**
   * Commits the answer handed over, then `own` writes, then the handed ones, and ends the claim
   * `releaseRun` (when given) with them. Each handed write learns whether it was written. When
   * the transaction fails, the answer is appended on its own (waiting for the disk) so it is not
   * lost with the rest (`lost` when that fails too), and the error is thrown.
   */
  async commit(
    store: SessionStore,
    sessionId: string,
    own: readonly SessionStateWrite[],
    releaseRun?: string,
  ): Promise<TurnEndResult> {
    this.#closed = true;
    const states = this.#states.splice(0);
    const answer = this.#answer;
    this.#answer = undefined;
    try {
      const result = await store.endTurn(sessionId, {
        ...(answer ? { messages: answer.messages } : {}),
        states: [...own, ...states.map((entry) => entry.write)],
        ...(releaseRun !== undefined ? { releaseRun } : {}),
      });
      answer?.done(result.appended);
      for (const [index, entry] of states.entries()) entry.done(result.written[own.length + index] === true);
      return result;
    } catch (error) {
      for (const entry of states) entry.done(false);
      if (answer) {
        try {
          answer.done(await store.appendTurn(sessionId, answer.messages));
        } catch {
          this.lost = true;
          answer.done(undefined);
        }
      }
      throw error;
    }
  }
}
