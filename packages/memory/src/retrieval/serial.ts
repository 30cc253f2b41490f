/**
 * Runs async jobs one at a time, in call order. The retriever's writes read before they write
 * (which chunks a conversation already has, which vectors a note can reuse); two at once on
 * the same source would both miss the other's rows.
 *
 * A job may carry a label saying what it writes (`L`), so a reader can wait for every job but
 * the last few it does not need (idle's `skip`): a recall need not wait for its own turn's prompt.
 */
export class Serial<L = never> {
  private tail: Promise<unknown> = Promise.resolve();
  /** Jobs not settled yet, in call order: each with the tail it was queued behind. */
  private readonly pending: { before: Promise<unknown>; label: L | undefined }[] = [];

  run<T>(job: () => Promise<T>, label?: L): Promise<T> {
    const entry = { before: this.tail, label };
    const result = this.tail.then(job);
    this.tail = result.catch(() => {});
    this.pending.push(entry);
    void this.tail.then(() => {
      this.pending.splice(this.pending.indexOf(entry), 1);
    });
    return result;
  }

  /**
   * Settles once every job queued so far has finished (whether or not it succeeded); with
   * `skip`, except the jobs at the end of the queue whose labels it accepts (unlabelled jobs are
   * never skipped): it then settles when the last job before those has.
   */
  idle(skip?: (label: L) => boolean): Promise<unknown> {
    let first = this.pending.length;
    while (skip && first > 0) {
      const { label } = this.pending[first - 1]!;
      if (label === undefined || !skip(label)) break;
      first -= 1;
    }
    return first === this.pending.length ? this.tail : this.pending[first]!.before;
  }
}
