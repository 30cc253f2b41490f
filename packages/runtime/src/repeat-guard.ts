/**
 * Stops a model that keeps making the same failing call. Failures go back to the model so it can
 * correct itself; the same tool with the same arguments failing again and again means it is not
 * correcting, and every further attempt costs a model call.
 */
import { BudgetExceeded, type ToolCall, type ToolOutcome } from '@oxydra/types';

export const REPEATED_FAILURE_LIMIT = 3;

/** JSON with object keys sorted, so {a,b} and {b,a} are the same call. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** The identity of a call: its tool and its arguments (the raw text when they did not parse). */
function callKey(call: ToolCall, parseError?: string): string {
  const args = parseError !== undefined ? JSON.stringify(call.rawArguments ?? '') : canonical(call.arguments);
  return `${call.name} ${args}`;
}

export class RepeatedFailureGuard {
  private readonly failures = new Map<string, number>();

  constructor(private readonly limit = REPEATED_FAILURE_LIMIT) {}

  /** Counts the batch's failures; throws once any one call has failed `limit` times in the run. */
  record(
    calls: readonly ToolCall[],
    outcomes: readonly ToolOutcome[],
    parseErrors: ReadonlyMap<string, string>,
  ): void {
    calls.forEach((call, index) => {
      const outcome = outcomes[index];
      if (!outcome?.isError) return;
      const key = callKey(call, parseErrors.get(call.id));
      const count = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, count);
      if (count >= this.limit) {
        throw new BudgetExceeded(
          'repeated_failure',
          this.limit,
          count,
          `stopped: the same tool call failed ${count} times (${truncate(key, 160)}); last error: ${truncate(outcome.content, 200)}`,
        );
      }
    });
  }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
