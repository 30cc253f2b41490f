/**
 * Listens for pairing changes (the store's, pairing-changes.ts) only while a paired sender's turn
 * runs, and runs the host's check on each, one at a time: a burst of changes while a check runs
 * (the store may tell of every write to its file) makes one more check, not one each.
 */
export class RevocationWatch {
  #stop: (() => void) | undefined;
  #checking = false;
  #again = false;

  constructor(
    private readonly listen: (listener: () => void) => () => void,
    private readonly check: () => Promise<void>,
  ) {}

  /** Listens while `wanted` (a turn that can be revoked is running), not otherwise. */
  update(wanted: boolean): void {
    if (wanted && !this.#stop) this.#stop = this.listen(() => void this.#changed());
    else if (!wanted && this.#stop) {
      this.#stop();
      this.#stop = undefined;
    }
  }

  async #changed(): Promise<void> {
    if (this.#checking) {
      this.#again = true;
      return;
    }
    this.#checking = true;
    try {
      do {
        this.#again = false;
        await this.check();
      } while (this.#again);
    } finally {
      this.#checking = false;
    }
  }
}
