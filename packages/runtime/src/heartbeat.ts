/**
 * Heartbeat progress while tools run (every 5 s by default), so a client can tell a long shell
 * command from a hung run. Built on one-shot timers so an injected clock can drive it.
 */
import type { StreamEvent } from '@oxydra/types';
import type { Clock } from './clock.js';
import { type TurnPosition, toolHeartbeat } from './progress.js';

export interface HeartbeatOptions {
  clock: Clock;
  intervalMs: number;
  position: TurnPosition;
  /** Names of the tools running right now. */
  running: () => string[];
  emit: (event: StreamEvent) => void;
}

/** Starts beating; the returned function stops it. */
export function startHeartbeat(options: HeartbeatOptions): () => void {
  const { clock, intervalMs } = options;
  const startedAt = clock.now();
  let stopped = false;
  let timer: unknown;
  const schedule = () => {
    timer = clock.setTimeout(beat, intervalMs);
  };
  const beat = () => {
    if (stopped) return;
    const names = options.running();
    if (names.length > 0) options.emit(toolHeartbeat(options.position, names, clock.now() - startedAt));
    schedule();
  };
  if (intervalMs > 0) schedule();
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
}
