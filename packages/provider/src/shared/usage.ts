/**
 * Building a Usage from a provider's usage object. Wire objects are loosely typed (fields go
 * missing or arrive as null on compatible servers), so only real numbers are kept: a field the
 * provider did not report stays undefined rather than becoming 0.
 */
import type { Usage } from '@oxydra/types';

type TokenField = Exclude<keyof Usage, 'raw' | 'costUsd'>;

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Sum of the reported parts; undefined only when none was reported. */
export function sumReported(...values: unknown[]): number | undefined {
  const numbers = values.map(numberOrUndefined).filter((value): value is number => value !== undefined);
  return numbers.length === 0 ? undefined : numbers.reduce((a, b) => a + b, 0);
}

export function makeUsage(fields: Partial<Record<TokenField, unknown>>, raw: unknown): Usage {
  const usage: Usage = {};
  for (const [field, value] of Object.entries(fields) as [TokenField, unknown][]) {
    const number = numberOrUndefined(value);
    if (number !== undefined) usage[field] = number;
  }
  if (raw !== undefined && raw !== null) usage.raw = raw;
  return usage;
}

/** Property access on loosely typed wire objects. */
export function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
