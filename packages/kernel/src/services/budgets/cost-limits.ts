/**
 * How a run's dollar limit is made from others: the lower of an agent's own and an operator's
 * (a scheduled run), and a share of what is left for calls made side by side (a spec run's
 * judges). Kept with the budgets so every decision on dollars is made in this folder.
 */

/**
 * The lower of the agent's own limit (none: no limit) and `cap`, with the setting it comes from
 * for the error of a model whose cost cannot be tracked. At equal limits `cap` is named.
 */
export function lowerCostLimit(
  own: { maxCostUsd?: number | undefined; maxCostSource?: string | undefined },
  cap: number,
  capSource: string,
): { maxCostUsd: number; maxCostSource: string } {
  const ownLimit = own.maxCostUsd ?? Number.POSITIVE_INFINITY;
  return cap <= ownLimit
    ? { maxCostUsd: cap, maxCostSource: capSource }
    : { maxCostUsd: ownLimit, maxCostSource: own.maxCostSource ?? 'runtime.max_cost' };
}

/** An equal share of what is left of a limit (undefined: no limit; nothing left: 0) for `parts` calls. */
export function shareOfLimit(left: number | undefined, parts: number): number | undefined {
  return left === undefined ? undefined : Math.max(left, 0) / parts;
}
