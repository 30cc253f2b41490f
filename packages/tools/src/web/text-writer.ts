/**
 * The output side of html-to-text, linear in what it is given. Text is kept as a list of parts
 * and only the end is ever inspected or trimmed, so no step rescans what was written before:
 * the old converter re-ran `/[ \t]+$/` over its whole output at every block tag, which backtracks
 * quadratically over a long run of spaces (a 10 KB `<pre>` of spaces then 1,500 `<p>` froze the
 * process for a minute).
 */

const isSpaceOrTab = (char: string): boolean => char === ' ' || char === '\t';
const isNewline = (char: string): boolean => char === '\n';

export class TextWriter {
  readonly #parts: string[] = [];
  #last = '';
  /** Parts at or after this index are a link's label (see startCapture). */
  #captureFrom: number | undefined;

  /** The last character written, '' when nothing is. */
  get lastChar(): string {
    return this.#last;
  }

  get atLineStart(): boolean {
    return this.#last === '' || this.#last === '\n';
  }

  /** Nothing written yet, or the text ends with a blank line: a new block needs no more newlines. */
  get atBlockStart(): boolean {
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
    return this.#parts.length === 0 || newlines === 2;
  }

  write(text: string): void {
    if (text === '') return;
    this.#parts.push(text);
    this.#last = text[text.length - 1] ?? '';
  }

  /** Removes trailing spaces and tabs (`trimSpaces`) or newlines; each removed character is looked at once. */
  trimSpaces(): void {
    this.#trimEnd(isSpaceOrTab);
  }

  trimNewlines(): void {
    this.#trimEnd(isNewline);
  }

  #trimEnd(drop: (char: string) => boolean): void {
    const parts = this.#parts;
    while (parts.length > 0) {
      const part = parts[parts.length - 1] ?? '';
      let end = part.length;
      while (end > 0 && drop(part[end - 1] ?? '')) end--;
      if (end > 0) {
        parts[parts.length - 1] = part.slice(0, end);
        break;
      }
      parts.pop();
    }
    if (this.#captureFrom !== undefined && this.#captureFrom > parts.length) this.#captureFrom = parts.length;
    const tail = parts[parts.length - 1] ?? '';
    this.#last = tail[tail.length - 1] ?? '';
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
    const tail = this.#parts[this.#parts.length - 1] ?? '';
    this.#last = tail[tail.length - 1] ?? '';
    return captured;
  }

  /** The text with trailing whitespace cut from every line and at most one blank line in a row. */
  finish(): string {
    return this.#parts
      .join('')
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
  }
}
