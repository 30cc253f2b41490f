/** `--max-attempts` of `run --spec` and `schedule add --spec` (apart from the spec flags in spawn-flags.ts, which a plain run loads). */
import { DEFAULT_MAX_ATTEMPTS, MAX_ATTEMPTS_LIMIT } from '@oxydra/kernel/spec';
import { UsageError } from '@oxydra/types';

/** --max-attempts as a number (the kernel's bound: more attempts than that is a loop, not a retry). */
export function maxAttemptsFlag(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_MAX_ATTEMPTS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > MAX_ATTEMPTS_LIMIT) {
    throw new UsageError(`--max-attempts ${raw}: expected a whole number from 1 to ${MAX_ATTEMPTS_LIMIT}`);
  }
  return value;
}
