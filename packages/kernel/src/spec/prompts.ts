/**
 * What a spec run's agents are told: an attempt's task (goal, constraints and the criteria it is
 * checked against, all of them or, for a split run, one agent's share) and a retry's failures.
 */
import type { DirectiveInput } from './crystallize.js';
import type { Criterion, Directive } from './directive.js';
import type { CriterionResult } from './mechanical.js';

export function attemptPrompt(
  directive: Directive,
  input: DirectiveInput,
  preamble: string | undefined,
  criteria: readonly Criterion[] = directive.criteria,
): string {
  const lines = preamble !== undefined ? [preamble, ''] : [];
  // A goal given apart from the request (a host's spec.goal) does not replace what was asked.
  if (input.goal !== undefined && input.goal !== input.request)
    lines.push(input.request, '', `Goal: ${directive.goal}`, '');
  else lines.push(directive.goal, '');
  if (directive.constraints.length > 0) {
    lines.push('Constraints:', ...directive.constraints.map((c) => `- ${c}`), '');
  }
  lines.push('Your work is checked against these acceptance criteria when you finish:');
  lines.push(...criteria.map((c) => `- ${c.text}`));
  return lines.join('\n');
}

/** The failed criteria of attempt `attempt` among `results`, with why, and what to do. */
export function failureLines(attempt: number, results: readonly CriterionResult[]): string {
  const failed = results.filter((r) => !r.passed);
  return [
    `Attempt ${attempt} did not meet ${failed.length} acceptance criteria:`,
    ...failed.map((r) => `- ${r.text}\n  ${r.detail.split('\n').slice(0, 20).join('\n  ')}`),
    '',
    'Fix the work so every criterion passes.',
  ].join('\n');
}
