/**
 * Runs async jobs one at a time, in call order. The retriever's writes read before they write
 * (which chunks a conversation already has, which vectors a note can reuse); two at once on
 * the same source would both miss the other's rows.
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.catch(() => {});
    return result;
  }

  /** Settles once every job queued so far has finished (whether or not it succeeded). */
  idle(): Promise<unknown> {
    return this.tail;
  }
}
