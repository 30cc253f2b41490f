/**
 * The output side of html-to-text, linear in what it is given. Text is kept as a list of parts
 * and only the end is ever inspected or trimmed, so no step rescans what was written before:
 * the old converter re-ran `/[ \t]+$/` over its whole output at every block tag, which backtracks
 * quadratically over a long run of spaces (a 10 KB `<pre>` of spaces then 1,500 `<p>` froze the
 * process for a minute).
 *
 * Lines are tidied as they are written (trailing whitespace cut at each newline, at most one
 * blank line in a row), so finishing is one join, not another pass over a page that may be
 * megabytes long.
 */

const isSpaceOrTab = (char: string): boolean => char === ' ' || char === '\t';
const isNewline = (char: string): boolean => char === '\n';
/** What String.prototype.trimEnd removes, short of the newline itself. */
const isInlineSpace = (char: string): boolean => char !== '\n' && /\s/.test(char);

export class TextWriter {
  readonly #parts: string[] = [];
  #last = '';
  /** Parts at or after this index are a link's label (see startCapture). */
  #captureFrom: number | undefined;
  /** Characters held in #parts. */
  #size = 0;
  #full = false;

  /**
   * `maxChars`: the most text kept. Output is not bounded by input: each of a page's 5 MiB of
   * `<ul><li>` is indented by its depth, and each `<a href=?>` repeats the page's URL, so a page
   * can ask for gigabytes. Past the cap the text is cut and the writer is `full`.
   */
  constructor(private readonly maxChars = Number.POSITIVE_INFINITY) {}

  /** The cap was reached: what is written from now on is dropped (the caller can stop working). */
  get full(): boolean {
    return this.#full;
  }

  /** The last character written, '' when nothing is. */
  get lastChar(): string {
    return this.#last;
  }

  get atLineStart(): boolean {
    return this.#last === '' || this.#last === '\n';
  }

  /** Nothing written yet, or the text ends with a blank line: a new block needs no more newlines. */
  get atBlockStart(): boolean {
    return this.#parts.length === 0 || this.#trailingNewlines() === 2;
  }

  write(text: string): void {
    let from = 0;
    for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', from)) {
      this.#push(text.slice(from, at));
      this.#newline();
      from = at + 1;
    }
    this.#push(from === 0 ? text : text.slice(from));
  }

  /** Removes trailing spaces and tabs (`trimSpaces`) or newlines; each removed character is looked at once. */
  trimSpaces(): void {
    this.#trimEnd(isSpaceOrTab);
  }

  trimNewlines(): void {
    this.#trimEnd(isNewline);
  }

  /** Starts collecting what is written next (one capture at a time). */
  startCapture(): void {
    this.#captureFrom = this.#parts.length;
  }

  get capturing(): boolean {
    return this.#captureFrom !== undefined;
  }

  /** Takes back what was written since startCapture; the caller writes it again, formatted. */
  endCapture(): string {
    const from = this.#captureFrom ?? this.#parts.length;
    this.#captureFrom = undefined;
    const captured = this.#parts.splice(from).join('');
    this.#size -= captured.length;
    this.#updateLast();
    return captured;
  }

  /** The text: lines already tidied, so only its ends are left to trim. */
  finish(): string {
    return this.#parts.join('').trim();
  }

  #push(text: string): void {
    if (text === '' || this.#full) return;
    const room = this.maxChars - this.#size;
    const kept = text.length > room ? text.slice(0, room) : text;
    if (kept.length < text.length) this.#full = true;
    if (kept === '') return;
    this.#parts.push(kept);
    this.#size += kept.length;
    this.#last = kept[kept.length - 1] ?? '';
  }

  /** A line break: the line's trailing whitespace goes, and a third newline in a row is dropped. */
  #newline(): void {
    this.#trimEnd(isInlineSpace);
    if (this.#trailingNewlines() < 2) this.#push('\n');
  }

  /** Newlines at the end of the text, counted up to 2. */
  #trailingNewlines(): number {
    let newlines = 0;
    for (let i = this.#parts.length - 1; i >= 0 && newlines < 2; i--) {
      const part = this.#parts[i] ?? '';
      let end = part.length;
      while (end > 0 && newlines < 2 && part[end - 1] === '\n') {
        end--;
        newlines++;
      }
      if (end > 0) break;
    }
    return newlines;
  }

  #trimEnd(drop: (char: string) => boolean): void {
    const parts = this.#parts;
    while (parts.length > 0) {
      const part = parts[parts.length - 1] ?? '';
      let end = part.length;
      while (end > 0 && drop(part[end - 1] ?? '')) end--;
      this.#size -= part.length - end;
      if (end > 0) {
        parts[parts.length - 1] = part.slice(0, end);
        break;
      }
      parts.pop();
    }
    if (this.#captureFrom !== undefined && this.#captureFrom > parts.length) this.#captureFrom = parts.length;
    this.#updateLast();
  }

  #updateLast(): void {
    const tail = this.#parts[this.#parts.length - 1] ?? '';
    this.#last = tail[tail.length - 1] ?? '';
  }
}
