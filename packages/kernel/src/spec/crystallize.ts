/**
 * Request → directive. Criteria the caller wrote are taken as they are (no model call); without
 * them the model crystallizes goal, constraints and acceptance criteria as JSON, and criteria it
 * writes with a `test:`/`file:`/`json-schema:` prefix are checked mechanically like typed ones.
 */
import { UsageError } from '@oxydra/types';
import { budgetError, type RunBudget } from '../services/budgets/spec-run-budget.js';
import {
  type Criterion,
  crystallizedSchema,
  type Directive,
  markIndependent,
  parseCriteria,
} from './directive.js';
import { askForJson, type CallBase } from './model-call.js';
import type { SpecKernel } from './spec-kernel.js';

export interface DirectiveInput {
  request: string;
  /** The directive's goal when it is not the request itself (a host's `spec.goal`). */
  goal?: string;
  /** Written criteria (`test: npm test`, free text...); none: the model proposes them. */
  criteria?: readonly string[];
  constraints?: readonly string[];
  /**
   * Mark every criterion independent (CLI --split, a host's `split`): the user asks for the work
   * to be split. Unset: only the marks the crystallizing model gave; criteria written by the
   * user are never split unless asked.
   */
  split?: boolean;
}

/**
 * A `test:` command the model proposed would run without the approval its shell_exec needs, so
 * unless commands run without asking anyway ("auto"), it is judged by the model instead of run.
 */
function withoutModelCommands(criteria: Criterion[]): Criterion[] {
  return criteria.map((c) => (c.kind === 'test' ? { id: c.id, kind: 'judge', text: c.text } : c));
}

const SYSTEM = `You turn a request into a directive for an autonomous coding agent.
Answer with exactly one JSON object and nothing else:
{"goal": "<one sentence>", "constraints": ["<rule the work must keep>"], "acceptance_criteria": ["<criterion>"], "independent": [<number>]}
Write each acceptance criterion so it can be checked. Prefer mechanical forms:
"test: <shell command that exits 0 when met>", "file: <workspace path> exists",
"json-schema: <json file> <schema file>". Otherwise one plain sentence a reviewer can judge.
Give 1 to 6 criteria.
"independent" lists the 1-based numbers of criteria whose work can be done on its own: it touches
files the other criteria's work does not, and needs nothing they produce. Each such criterion may
be worked on by a separate agent. When unsure, leave it out; [] is a fine answer.`;

/**
 * The run's directive: as given, or asked of the model within the run's dollar limit (`budget`,
 * which the call spends against). A call stopped by that limit stops the run with its
 * BudgetExceeded; another failure is a usage error asking for the criteria.
 */
export async function crystallize(
  kernel: SpecKernel,
  base: CallBase,
  input: DirectiveInput,
  /** Whether a command criterion the model proposed may run (commands run without approval). */
  modelCommands: boolean,
  budget: RunBudget,
): Promise<Directive> {
  const constraints = [...(input.constraints ?? [])];
  if (input.criteria !== undefined && input.criteria.length > 0) {
    return {
      goal: input.goal ?? input.request,
      constraints,
      criteria: markIndependent(parseCriteria(input.criteria), input.split ? 'all' : []),
    };
  }
  const asked = input.goal !== undefined ? `\n\nGoal: ${input.goal}` : '';
  const answer = await askForJson(
    kernel,
    budget.limit(base),
    SYSTEM,
    `Request:\n${input.request}${asked}`,
    crystallizedSchema,
  );
  budget.spend(answer.costUsd);
  const over = budgetError(budget, 'turning the request into criteria', answer.error);
  if (over) throw over;
  if (!answer.value) {
    throw new UsageError(
      `could not crystallize a directive from the request: ${answer.problem ?? 'no answer'}`,
      {
        hint: 'give the acceptance criteria yourself: --criterion "test: npm test" (repeatable)',
      },
    );
  }
  let criteria: Criterion[];
  try {
    criteria = parseCriteria(answer.value.acceptance_criteria);
  } catch {
    // A malformed mechanical criterion from the model is still a criterion: let the model judge it.
    criteria = answer.value.acceptance_criteria.map((text, index) => ({
      id: `c${index + 1}`,
      kind: 'judge',
      text,
    }));
  }
  if (!modelCommands) criteria = withoutModelCommands(criteria);
  criteria = markIndependent(criteria, input.split ? 'all' : answer.value.independent);
  return {
    goal: input.goal ?? answer.value.goal,
    constraints: [...constraints, ...answer.value.constraints],
    criteria,
  };
}
