/**
 * How a run looks in a terminal: the model's text streams on stdout; tool activity, progress
 * and the closing usage line go to stderr, so `oxydra run "..." > answer.md` keeps only the
 * answer (the run's final text, every model call's a paragraph apart) and a final newline. Colour only on a TTY (and never with NO_COLOR).
 * On a terminal, text from the model, tools and errors is made inert first (terminalSafe: no
 * escape sequence can recolour the screen, overwrite lines, set the title or write the
 * clipboard); redirected to a file, the answer is written exactly as the model gave it.
 */
import {
  describeCall,
  type RunEndEvent,
  type StreamEvent,
  shortSessionId,
  TerminalSafeStream,
  terminalSafe,
  toolFailureLine,
  type Usage,
} from '@oxydra/types';

export interface TextRendererOptions {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  color: boolean;
  /** Named in the closing line so the user can continue the session. */
  sessionId?: string;
  /**
   * false: no "continue with --session" line after each run. `oxydra chat` runs one per reply
   * and says how to come back once, when it ends.
   */
  sessionNote?: boolean;
}

const isTerminal = (stream: NodeJS.WritableStream) => (stream as { isTTY?: boolean }).isTTY === true;

const style = (code: string) => (on: boolean, text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
const dim = style('2');
const red = style('31');
const green = style('32');
const cyan = style('36');

/**
 * 1234 -> "1,234": the grouping `toLocaleString('en-US')` gives, without it. The first Intl call
 * of a process maps ~7 MB of ICU data and takes ~20 ms, paid at the very end of every run.
 */
export function groupDigits(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const sign = n < 0 ? '-' : '';
  const [whole = '0', fraction] = Math.abs(n).toString().split('.');
  if (whole.includes('e')) return String(n);
  let grouped = whole;
  for (let at = whole.length - 3; at > 0; at -= 3) grouped = `${grouped.slice(0, at)},${grouped.slice(at)}`;
  return `${sign}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

export function formatTokens(n: number | undefined): string {
  if (n === undefined) return '?';
  return n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : groupDigits(n);
}

function formatCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return 'cost unknown';
  return usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

export function usageLine(usage: Usage, costUsd: number | null, turns: number): string {
  const calls = `${turns} model call${turns === 1 ? '' : 's'}`;
  // A call that was cancelled or failed before its usage arrived has no counts: say nothing
  // rather than "? in / ? out".
  const counted = usage.inputTokens !== undefined || usage.outputTokens !== undefined;
  const tokens = counted
    ? ` · ${formatTokens(usage.inputTokens)} in / ${formatTokens(usage.outputTokens)} out tokens`
    : '';
  return `${calls}${tokens} · ${formatCost(costUsd)}`;
}

export class TextRenderer {
  private atLineStart = true;
  /** A note ended the model's line early; the next text's leading newline stands for it. */
  private brokeLine = false;
  /** Set when stdout is a terminal: the model's text is made inert as it streams. */
  private readonly answerFilter: TerminalSafeStream | undefined;
  private readonly safeNotes: boolean;

  constructor(private readonly options: TextRendererOptions) {
    this.answerFilter = isTerminal(options.stdout) ? new TerminalSafeStream() : undefined;
    this.safeNotes = isTerminal(options.stderr);
  }

  /** Write to stderr on a line of its own, even when the model's text stopped mid-line. */
  note(line: string): void {
    this.writeNote(this.safeNotes ? terminalSafe(line) : line);
  }

  /** A note of ours around text from elsewhere: the text made safe, then styled. */
  private styled(paint: (on: boolean, text: string) => string, text: string): void {
    this.writeNote(paint(this.options.color, this.safeNotes ? terminalSafe(text) : text));
  }

  private writeNote(line: string): void {
    if (!this.atLineStart) {
      this.options.stdout.write('\n');
      this.atLineStart = true;
      this.brokeLine = true;
    }
    this.options.stderr.write(`${line}\n`);
  }

  handle(event: StreamEvent): void {
    switch (event.type) {
      case 'text_delta': {
        // So stdout holds exactly the answer (plus a final newline): the newline written
        // before a note replaces the one the text brings (the break between model calls).
        const raw = this.answerFilter ? this.answerFilter.push(event.text) : event.text;
        const text = this.brokeLine && raw.startsWith('\n') ? raw.slice(1) : raw;
        if (raw === '') return;
        this.brokeLine = false;
        if (text === '') return;
        this.options.stdout.write(text);
        this.atLineStart = text.endsWith('\n');
        return;
      }
      case 'tool_execution_start':
        this.styled(cyan, `-> ${describeCall(event.name, event.arguments)}`);
        return;
      case 'tool_execution_end': {
        if (event.isError) {
          this.styled(red, `   ${event.name} failed: ${toolFailureLine(event.content)}`);
        } else {
          this.styled(dim, `   ${event.name} ok (${Math.round(event.durationMs)} ms)`);
        }
        return;
      }
      case 'progress':
        // Calls and tool batches already show as they happen; heartbeats and retries add news.
        if (event.progress.kind !== 'provider_call' && event.progress.kind !== 'tool_execution') {
          this.styled(dim, event.progress.message);
        }
        return;
      case 'error':
        // Problems the run survives (e.g. memory recall failing); fatal ones end in run_failed.
        this.styled(red, `warning: ${event.message}`);
        return;
      case 'user_message':
        this.styled(cyan, `>> ${event.kind === 'steering' ? 'steering' : 'follow-up'}: ${event.text}`);
        return;
      case 'run_completed':
      case 'run_failed':
        this.finish(event);
        return;
      default:
        return;
    }
  }

  private finish(event: RunEndEvent): void {
    const tail = this.answerFilter?.end() ?? '';
    if (tail !== '') {
      this.options.stdout.write(tail);
      this.atLineStart = true;
    }
    const c = this.options.color;
    const summary = usageLine(event.usage, event.costUsd, event.turns);
    if (event.type === 'run_completed') {
      this.writeNote(green(c, `done: ${summary}`));
    } else if (event.error?.code === 'cancelled') {
      // The user asked for this: not a failure to report in red.
      this.writeNote(dim(c, `cancelled: ${summary}`));
    } else {
      const reason = event.error ? `${event.error.message}` : 'unknown error';
      this.styled(red, `run failed: ${reason}`);
      this.writeNote(dim(c, summary));
    }
    const sessionId = this.options.sessionId ?? event.sessionId;
    if (sessionId && this.options.sessionNote !== false) {
      const id = shortSessionId(sessionId);
      this.writeNote(dim(c, `session ${id} (continue with --session ${id})`));
    }
  }
}
