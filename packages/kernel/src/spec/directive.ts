/**
 * A directive (Oxios's "seed"): what a spec run must achieve — a goal, constraints, and the
 * acceptance criteria the result is judged by. A criterion written with a prefix is checked
 * mechanically (`test:` a command in the sandbox, `file:` a workspace path, `json-schema:` a
 * workspace JSON file against a schema file); anything else is judged by a model call.
 */
import { UsageError, visibleLine } from '@oxydra/types';
import { z } from 'zod';

export type Criterion = (
  | { id: string; kind: 'test'; text: string; command: string }
  | { id: string; kind: 'file'; text: string; path: string; nonEmpty: boolean }
  | { id: string; kind: 'json-schema'; text: string; path: string; schema: string }
  | { id: string; kind: 'judge'; text: string }
) & {
  /**
   * Its work can be done apart from the others' (marked by the crystallizing model, or by the
   * user with --split / `split`): with enough such criteria, it runs in a sub-agent of its own.
   */
  independent?: true;
};

export interface Directive {
  goal: string;
  constraints: string[];
  criteria: Criterion[];
}

/** How a criterion's text names its kind: `test: npm test`, `file: out/report.md exists`. */
const PREFIX = /^\s*(test|cmd|command|file|json-schema)\s*:\s*(.*)$/is;
/** `file: <path> [exists|non-empty]`: the path may not itself contain spaces. */
const FILE_FORM = /^(\S+)(?:\s+(exists|is not empty|non-empty|not empty))?\s*$/i;

/** One criterion from its written form; a malformed mechanical one is a usage error. */
function parseCriterion(raw: string, index: number): Criterion {
  const id = `c${index + 1}`;
  const text = raw.trim();
  if (text === '')
    throw new UsageError(`criterion ${index + 1} is empty`, {
      hint: 'write e.g. --criterion "test: npm test"',
    });
  const match = PREFIX.exec(text);
  if (!match) return { id, kind: 'judge', text };
  const kind = match[1]!.toLowerCase();
  const rest = match[2]!.trim();
  if (rest === '') {
    throw new UsageError(`criterion "${text}" names nothing to check`, {
      hint: 'write "test: <command>", "file: <path> exists" or "json-schema: <file> <schema file>"',
    });
  }
  if (kind === 'file') {
    const file = FILE_FORM.exec(rest);
    if (!file) {
      throw new UsageError(`criterion "${text}": expected "file: <path> exists" or "file: <path> non-empty"`);
    }
    const nonEmpty = file[2] !== undefined && file[2].toLowerCase() !== 'exists';
    return { id, kind: 'file', text, path: file[1]!, nonEmpty };
  }
  if (kind === 'json-schema') {
    const parts = rest.split(/\s+/);
    if (parts.length !== 2) {
      throw new UsageError(`criterion "${text}": expected "json-schema: <json file> <schema file>"`);
    }
    return { id, kind: 'json-schema', text, path: parts[0]!, schema: parts[1]! };
  }
  return { id, kind: 'test', text, command: rest };
}

export function parseCriteria(raw: readonly string[]): Criterion[] {
  return raw.map((text, index) => parseCriterion(text, index));
}

/** What a model's crystallization answer must look like (criteria in their written form). */
export const crystallizedSchema = z.object({
  goal: z.string().min(1).max(4000),
  constraints: z.array(z.string().min(1).max(2000)).max(20).default([]),
  acceptance_criteria: z.array(z.string().min(1).max(2000)).min(1).max(20),
  /** 1-based numbers of the criteria whose work is independent of the others' (see split.ts). */
  independent: z.array(z.number().int().min(1).max(20)).max(20).default([]),
});

/**
 * The criteria marked independent by number (1-based, as the model and an edited directive
 * write them); a number naming no criterion is ignored, not an error: the mark only splits work.
 */
export function markIndependent(criteria: Criterion[], numbers: readonly number[] | 'all'): Criterion[] {
  return criteria.map((criterion, index) =>
    numbers === 'all' || numbers.includes(index + 1) ? { ...criterion, independent: true } : criterion,
  );
}

/**
 * The directive as shown before execution (stderr) and in `sessions show`. Each field on one
 * line, its controls and line breaks written out: a crystallized directive is the model's text
 * (which a page it read may steer), and must neither drive the terminal nor forge a line.
 */
export function formatDirective(directive: Directive): string {
  const lines = [`goal: ${visibleLine(directive.goal)}`];
  for (const constraint of directive.constraints) lines.push(`constraint: ${visibleLine(constraint)}`);
  for (const criterion of directive.criteria) {
    const how = criterion.kind === 'judge' ? 'judged by the model' : `checked: ${criterion.kind}`;
    const split = criterion.independent ? ', independent' : '';
    lines.push(`criterion ${criterion.id} (${how}${split}): ${visibleLine(criterion.text)}`);
  }
  return lines.join('\n');
}

/**
 * A directive from its written fields (goal, constraints, acceptance_criteria), as a person
 * edits it before execution: the same bounds as the model's answer, the criteria parsed as typed
 * ones (a `test:` the person wrote or kept runs). A problem is a usage error naming the field.
 */
export function directiveFromFields(value: unknown): Directive {
  const parsed = crystallizedSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(
      `the directive's ${issue?.path.join('.') || 'fields'}: ${issue?.message ?? 'invalid'}`,
      {
        hint: 'keep goal (text), constraints and acceptance_criteria (lists of text, at least one criterion)',
      },
    );
  }
  return {
    goal: parsed.data.goal,
    constraints: parsed.data.constraints,
    criteria: markIndependent(parseCriteria(parsed.data.acceptance_criteria), parsed.data.independent),
  };
}
