/**
 * A spec as hosts take it from a client (the HTTP API, an A2A task, a schedule): one schema, one
 * rule about commands, one summary of the outcome, so the gateway and the scheduler only pass it
 * on to runSpec. `spec: true` asks for the directive to be crystallized from the prompt.
 */
import { UsageError } from '@oxydra/types';
import { z } from 'zod';
import type { DirectiveInput } from './crystallize.js';
import { parseCriteria } from './directive.js';
import type { CriterionResult } from './mechanical.js';
import type { SpecOutcome } from './run-spec.js';

/** More attempts than this is a loop, not a retry (the CLI's --max-attempts has the same bound). */
export const MAX_ATTEMPTS_LIMIT = 20;

export const specFieldsSchema = z.strictObject({
  goal: z.string().min(1).max(4000).optional().describe('the goal; default: the prompt'),
  constraints: z.array(z.string().min(1).max(2000)).max(20).default([]),
  acceptance_criteria: z
    .array(z.string().min(1).max(2000))
    .max(20)
    .default([])
    .describe(
      '"test: <command>", "file: <path> exists", "json-schema: <file> <schema>" or free text judged by a model; none: the model proposes them',
    ),
  max_attempts: z.number().int().min(1).max(MAX_ATTEMPTS_LIMIT).optional(),
  split: z
    .boolean()
    .optional()
    .describe(
      'true: every criterion is independent work; with 3 or more, each but the first runs in a sub-agent of its own. Default: only the criteria the model marks when it proposes them',
    ),
});

export const specRequestSchema = z
  .union([z.literal(true), specFieldsSchema])
  .describe('spec-first run (docs/spec-runs.md): `true` crystallizes the directive from the prompt');

/** A spec as a caller writes it (lists may be left out). */
export type SpecRequest = z.input<typeof specRequestSchema>;
export type SpecFields = z.output<typeof specFieldsSchema>;

/** The spec's fields with the lists filled in (as stored with a schedule); a malformed one is a usage error. */
export function specFields(request: SpecRequest): SpecFields {
  const parsed = specRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new UsageError(`the spec is malformed${where}: ${issue?.message ?? 'invalid'}`, {
      hint: 'send true or {goal, constraints, acceptance_criteria, max_attempts, split}',
    });
  }
  return parsed.data === true ? { constraints: [], acceptance_criteria: [] } : parsed.data;
}

/**
 * The runner's input for a prompt and a client's spec. A `test:` criterion runs a command with
 * no one asked; a host where nobody answers approvals (the API, A2A, a scheduled run) may give
 * one only when the agent's commands run without asking anyway, else shell_exec's approval would
 * be bypassed: refused with the fix named. A malformed criterion is refused here too.
 */
export function specInput(
  prompt: string,
  request: SpecRequest,
  approval: string,
): { input: DirectiveInput; maxAttempts?: number } {
  const fields = specFields(request);
  const criteria = parseCriteria(fields.acceptance_criteria);
  if (approval !== 'auto' && criteria.some((criterion) => criterion.kind === 'test')) {
    throw new UsageError(
      'a "test:" acceptance criterion runs a command without approval, and this agent\'s commands need approval ([tools] approval is not "auto")',
      { hint: 'write the criterion as text for the model to judge, or use "file:"/"json-schema:" criteria' },
    );
  }
  return {
    input: {
      request: prompt,
      ...(fields.goal !== undefined ? { goal: fields.goal } : {}),
      ...(fields.acceptance_criteria.length > 0 ? { criteria: fields.acceptance_criteria } : {}),
      ...(fields.constraints.length > 0 ? { constraints: fields.constraints } : {}),
      ...(fields.split ? { split: true } : {}),
    },
    ...(fields.max_attempts !== undefined ? { maxAttempts: fields.max_attempts } : {}),
  };
}

/** What a host reports of a finished spec run: passed, and the last attempt's per-criterion results. */
export interface SpecSummary {
  passed: boolean;
  attempts: number;
  results: CriterionResult[];
  stopped?: string;
}

export function specSummary(outcome: Pick<SpecOutcome, 'passed' | 'attempts' | 'stopped'>): SpecSummary {
  return {
    passed: outcome.passed,
    attempts: outcome.attempts.length,
    results: outcome.attempts.at(-1)?.results ?? [],
    ...(outcome.stopped !== undefined ? { stopped: outcome.stopped } : {}),
  };
}

/** One line per criterion, for a notification or a task's status text. */
export function specSummaryText(summary: SpecSummary): string {
  const head = summary.passed
    ? `spec passed after ${summary.attempts} attempt(s)`
    : `spec not passed${summary.stopped ? `: ${summary.stopped}` : ''}`;
  const lines = summary.results.map(
    (r) =>
      `${r.passed ? 'pass' : 'FAIL'} ${r.id} ${r.text}${r.passed ? '' : ` — ${r.detail.split('\n')[0] ?? ''}`}`,
  );
  return [head, ...lines].join('\n');
}
