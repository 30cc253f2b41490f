/**
 * The warning for what this process drops from the deployment bus, rate-limited: whoever can
 * write the bus can write it a million times, and one line per message would flood the log (and
 * the disk under it). The first drop is logged at once with its fields; the ones after it within
 * `everyMs` are counted, and said in one summary line when that time is up; a quiet period ends
 * the summaries, so the next drop is again logged at once.
 */
import type { GatewayLogger } from '../types.js';

/** At most one summary line a minute per kind of drop. */
const SUMMARY_EVERY_MS = 60_000;

/** The function to call at each drop: `message` names what was dropped. */
export function dropLogger(
  log: GatewayLogger,
  message: string,
  everyMs = SUMMARY_EVERY_MS,
): (fields: Record<string, unknown>) => void {
  let timer: NodeJS.Timeout | undefined;
  let since = 0;
  const summarize = () => {
    if (since === 0) {
      timer = undefined;
      return;
    }
    log('warn', `${message} (${since} more since the last line)`, { dropped: since });
    since = 0;
    timer = setTimeout(summarize, everyMs).unref();
  };
  return (fields) => {
    if (timer !== undefined) {
      since++;
      return;
    }
    log('warn', message, fields);
    // Unref'd: a summary still to come never keeps the process alive (at a stop it is lost).
    timer = setTimeout(summarize, everyMs).unref();
  };
}
