/**
 * Words recall already found common (in more than COMMON_WORD_CHUNKS chunks), so a search need
 * not count them again: counting is ~0.25 ms per common word (FTS5 walks 1,500 doclist
 * entries), paid at every turn for words like "the" or a prompt's recurring ones.
 *
 * A word's chunk count only grows while no chunk is deleted, and every chunk the retriever
 * deletes takes its vector with it, which logs a vector tombstone (migration 003's triggers).
 * So the verdicts hold while the tombstone sequence stands still, read in the same read
 * transaction as the counts; when it moves they are all dropped. A chunk deleted by hand with
 * no vector logs nothing, so each verdict is also recounted after RECHECK_AFTER uses.
 * Bounded: at most MAX_WORDS words (the oldest goes first).
 */
const RECHECK_AFTER = 64;
const MAX_WORDS = 1024;

export class CommonWords {
  private mark: number | undefined;
  /** word → times it was taken as common since counted. */
  private readonly uses = new Map<string, number>();

  /**
   * `sharedMark`, when given, reads the tombstone mark as of now from something that reads it
   * anyway (the vector cache's refresh, shared by the searches started together); undefined
   * from it: nothing to share, the search reads the mark itself.
   */
  constructor(readonly sharedMark?: () => Promise<number> | undefined) {}

  /**
   * Whether `word` is known common (a verdict the caller must confirm with `stillValid`). When a
   * recount is due, only the caller told false counts it: searches running meanwhile keep the
   * verdict (a kernel running 200 agents had each of them count the word again at every recheck).
   */
  known(word: string): boolean {
    const uses = this.uses.get(word);
    if (uses === undefined) return false;
    if (uses >= RECHECK_AFTER) {
      this.uses.set(word, 0);
      return false;
    }
    this.uses.set(word, uses + 1);
    return true;
  }

  /** False (and every verdict dropped) when the tombstone sequence moved since they were made. */
  stillValid(mark: number): boolean {
    if (mark === this.mark) return true;
    this.uses.clear();
    this.mark = mark;
    return false;
  }

  /** `word` was just counted in no more than COMMON_WORD_CHUNKS chunks: not common (any more). */
  forget(word: string): void {
    this.uses.delete(word);
  }

  /** `word` was just counted common, under the mark last given to stillValid. */
  remember(word: string): void {
    if (this.uses.has(word)) return;
    if (this.uses.size >= MAX_WORDS) {
      const oldest = this.uses.keys().next().value;
      if (oldest !== undefined) this.uses.delete(oldest);
    }
    this.uses.set(word, 0);
  }
}
