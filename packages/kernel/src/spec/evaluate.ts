/**
 * One attempt's evaluation: every mechanical criterion first (commands one at a time, in the
 * sandbox: two test suites at once would fight over the same files), then each free-text
 * criterion by its own model call given the evidence, which includes what the mechanical checks
 * found. The judges are independent of each other, so they run in parallel (at most
 * JUDGES_AT_ONCE), each with an equal share of what is left of the run's dollar limit: one
 * judge's verdict never depends on another's, and together they stay within the budget.
 */

import { addCost } from '@oxydra/provider/core';
import { shareOfLimit } from '../services/budgets/cost-limits.js';
import type { Directive } from './directive.js';
import { evidenceText, judge } from './judge.js';
import { type CriterionResult, checkMechanically } from './mechanical.js';
import type { CallBase } from './model-call.js';
import type { SpecKernel } from './spec-kernel.js';

/** Judge calls under way at once: enough to split the work, not a burst on the provider. */
const JUDGES_AT_ONCE = 4;

/** Runs `work` over `items`, at most `limit` at once, results in the items' order. */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

async function changedSince(kernel: SpecKernel, before: string | undefined): Promise<string[]> {
  if (before === undefined) return [];
  const checkpoints = await kernel.service('checkpoints');
  const changes = await checkpoints?.diff(before).catch(() => []);
  return (changes ?? []).map((change) => `${change.status} ${change.path}`);
}

export async function evaluateAttempt(
  kernel: SpecKernel,
  base: CallBase,
  directive: Directive,
  answer: string,
  checkpointBefore: string | undefined,
  /** What is left of the run's dollar limit, shared by the judges; undefined: no limit. */
  budgetUsd?: number,
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
    // A spent budget still gets a call each: it fails at once as over budget, and so does the criterion.
    const share = shareOfLimit(budgetUsd, judged.length);
    const judgeBase: CallBase =
      share === undefined ? base : { ...base, limits: { ...base.limits, maxCostUsd: share } };
    const verdicts = await mapBounded(judged, JUDGES_AT_ONCE, (criterion) =>
      judge(kernel, judgeBase, criterion, evidence),
    );
    for (const verdict of verdicts) {
      byId.set(verdict.result.id, verdict.result);
      costUsd = addCost(costUsd, verdict.costUsd);
    }
  }
  return { results: directive.criteria.map((c) => byId.get(c.id)!), costUsd };
}
