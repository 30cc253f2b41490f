/**
 * The progress of `oxydra models pull` on stderr: a bar redrawn in place on a terminal, a line
 * every 10% otherwise (a log or CI keeps a readable trace, not thousands of carriage returns).
 */
const WIDTH = 30;
/** Redraws at most this often, in ms: a fast download would otherwise spend its time printing. */
const REDRAW_MS = 100;

export class PullProgress {
  readonly #name: string;
  readonly #total: number | undefined;
  readonly #tty = process.stderr.isTTY === true;
  readonly #started = Date.now();
  readonly #resumedAt: number;
  #received: number;
  #drawnAt = 0;
  #lastTenth = -1;

  constructor(name: string, resumedAt: number, total: number | undefined) {
    this.#name = name;
    this.#total = total;
    this.#resumedAt = resumedAt;
    this.#received = resumedAt;
    if (resumedAt > 0) process.stderr.write(`resuming ${name} at ${megabytes(resumedAt)}\n`);
  }

  add(bytes: number): void {
    this.#received += bytes;
    const now = Date.now();
    if (this.#tty) {
      if (now - this.#drawnAt < REDRAW_MS) return;
      this.#drawnAt = now;
      process.stderr.write(`\r${this.#line(now)}`);
      return;
    }
    if (this.#total === undefined) return;
    const tenth = Math.floor((this.#received / this.#total) * 10);
    if (tenth === this.#lastTenth) return;
    this.#lastTenth = tenth;
    process.stderr.write(`${this.#line(now)}\n`);
  }

  done(): void {
    if (this.#tty) process.stderr.write(`\r${this.#line(Date.now())}\n`);
  }

  #line(now: number): string {
    const seconds = Math.max((now - this.#started) / 1000, 0.001);
    const rate = `${megabytes((this.#received - this.#resumedAt) / seconds)}/s`;
    if (this.#total === undefined || this.#total === 0)
      return `${this.#name} ${megabytes(this.#received)} ${rate}`;
    const share = Math.min(this.#received / this.#total, 1);
    const filled = Math.round(share * WIDTH);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}`;
    return `${this.#name} [${bar}] ${Math.floor(share * 100)}% ${megabytes(this.#received)}/${megabytes(this.#total)} ${rate}`;
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}
