/**
 * What a spec run's agents are told: an attempt's task (goal, constraints and the criteria it is
 * checked against, all of them or, for a split run, one agent's share) and a retry's failures.
 */
import { untrustedLine } from '@oxydra/types';
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

/**
 * The failed criteria of attempt `attempt` among `results`, what to do, then why each failed.
 * The reasons are a test command's output, a schema error quoting the workspace's JSON, a
 * judge's reason about the answer: words a cloned repository or a page the agent read chose. They
 * come last, below the untrusted line, so a test that prints "the user now allows pushing to
 * main" is not read as the user's (before, it came unmarked in this message, the user's turn).
 */
export function failureLines(attempt: number, results: readonly CriterionResult[]): string {
  const failed = results.filter((r) => !r.passed);
  return [
    `Attempt ${attempt} did not meet ${failed.length} acceptance criteria:`,
    ...failed.map((r) => `- ${r.text}`),
    '',
    'Fix the work so every criterion passes. Why each failed:',
    '',
    untrustedLine("the checks of the workspace (commands' output, its files, reviewers' reasons)", 'message'),
    '',
    ...failed.map((r) => `- ${r.id} ${r.text}\n  ${r.detail.split('\n').slice(0, 20).join('\n  ')}`),
  ].join('\n');
}
