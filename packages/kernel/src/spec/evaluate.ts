/**
 * One attempt's evaluation: every mechanical criterion first (commands one at a time, in the
 * sandbox: two test suites at once would fight over the same files), then each free-text
 * criterion by a model call given the evidence, which includes what the mechanical checks found.
 */
import type { Kernel } from '../kernel-api.js';
import type { Directive } from './directive.js';
import { evidenceText, judge } from './judge.js';
import { type CriterionResult, checkMechanically } from './mechanical.js';
import type { CallBase } from './model-call.js';

async function changedSince(kernel: Kernel, before: string | undefined): Promise<string[]> {
  if (before === undefined) return [];
  const checkpoints = await kernel.service('checkpoints');
  const changes = await checkpoints?.diff(before).catch(() => []);
  return (changes ?? []).map((change) => `${change.status} ${change.path}`);
}

export async function evaluateAttempt(
  kernel: Kernel,
  base: CallBase,
  directive: Directive,
  answer: string,
  checkpointBefore: string | undefined,
): Promise<{ results: CriterionResult[]; costUsd: number | null }> {
  const byId = new Map<string, CriterionResult>();
  for (const criterion of directive.criteria) {
    const checked = await checkMechanically(kernel, criterion, base.signal);
    if (checked) byId.set(criterion.id, checked);
  }
  let costUsd: number | null = 0;
  const judged = directive.criteria.filter((c) => !byId.has(c.id));
  if (judged.length > 0) {
    const evidence = evidenceText(directive, {
      answer,
      changedFiles: await changedSince(kernel, checkpointBefore),
      checked: [...byId.values()],
    });
    for (const criterion of judged) {
      const verdict = await judge(kernel, base, criterion, evidence);
      byId.set(criterion.id, verdict.result);
      costUsd = costUsd === null || verdict.costUsd === null ? null : costUsd + verdict.costUsd;
    }
  }
  return { results: directive.criteria.map((c) => byId.get(c.id)!), costUsd };
}
