/** The last check before a file tool changes anything. */
import { Cancelled } from '@oxydra/types';

/** Throws when the call was stopped (timed out or cancelled): nothing may change after that. */
export function throwIfStopped(signal: AbortSignal | undefined, shown: string): void {
  if (signal?.aborted) throw new Cancelled(`stopped before changing ${shown}; nothing was changed`);
}
