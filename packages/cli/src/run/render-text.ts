/**
 * How a run looks in a terminal: the model's text streams on stdout; tool activity, progress
 * and the closing usage line go to stderr, so `oxydra run "..." > answer.md` keeps only the
 * answer (the run's final text, every model call's a paragraph apart) and a final newline. Colour only on a TTY (and never with NO_COLOR).
 */
import {
  describeCall,
  type RunEndEvent,
  type StreamEvent,
  shortSessionId,
  toolFailureLine,
  type Usage,
} from '@oxydra/types';

export interface TextRendererOptions {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  color: boolean;
  /** Named in the closing line so the user can continue the session. */
  sessionId?: string;
}

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

export function formatCost(usd: number | null | undefined): string {
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

  constructor(private readonly options: TextRendererOptions) {}

  /** Write to stderr on a line of its own, even when the model's text stopped mid-line. */
  note(line: string): void {
    if (!this.atLineStart) {
      this.options.stdout.write('\n');
      this.atLineStart = true;
      this.brokeLine = true;
    }
    this.options.stderr.write(`${line}\n`);
  }

  handle(event: StreamEvent): void {
    const c = this.options.color;
    switch (event.type) {
      case 'text_delta': {
        // So stdout holds exactly the answer (plus a final newline): the newline written
        // before a note replaces the one the text brings (the break between model calls).
        const text = this.brokeLine && event.text.startsWith('\n') ? event.text.slice(1) : event.text;
        if (event.text === '') return;
        this.brokeLine = false;
        if (text === '') return;
        this.options.stdout.write(text);
        this.atLineStart = text.endsWith('\n');
        return;
      }
      case 'tool_execution_start':
        this.note(cyan(c, `-> ${describeCall(event.name, event.arguments)}`));
        return;
      case 'tool_execution_end': {
        if (event.isError) {
          this.note(red(c, `   ${event.name} failed: ${toolFailureLine(event.content)}`));
        } else {
          this.note(dim(c, `   ${event.name} ok (${Math.round(event.durationMs)} ms)`));
        }
        return;
      }
      case 'progress':
        // Calls and tool batches already show as they happen; heartbeats and retries add news.
        if (event.progress.kind !== 'provider_call' && event.progress.kind !== 'tool_execution') {
          this.note(dim(c, event.progress.message));
        }
        return;
      case 'error':
        // Problems the run survives (e.g. memory recall failing); fatal ones end in run_failed.
        this.note(red(c, `warning: ${event.message}`));
        return;
      case 'user_message':
        this.note(cyan(c, `>> ${event.kind === 'steering' ? 'steering' : 'follow-up'}: ${event.text}`));
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
    const c = this.options.color;
    const summary = usageLine(event.usage, event.cost_usd, event.turns);
    if (event.type === 'run_completed') {
      this.note(green(c, `done: ${summary}`));
    } else if (event.error?.code === 'cancelled') {
      // The user asked for this: not a failure to report in red.
      this.note(dim(c, `cancelled: ${summary}`));
    } else {
      const reason = event.error ? `${event.error.message}` : 'unknown error';
      this.note(red(c, `run failed: ${reason}`));
      this.note(dim(c, summary));
    }
    const sessionId = this.options.sessionId ?? event.session_id;
    if (sessionId) {
      const id = shortSessionId(sessionId);
      this.note(dim(c, `session ${id} (continue with --session ${id})`));
    }
  }
}
