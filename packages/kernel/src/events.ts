/** Telling the kernel's own lifecycle events from the runs' StreamEvents in an envelope. */
import type { StreamEvent } from '@oxydra/types';
import type { LifecycleEvent } from './types.js';

const LIFECYCLE = new Set<string>([
  'agent_spawned',
  'agent_exited',
  'approval_requested',
  'approval_resolved',
]);

export function isLifecycleEvent(event: StreamEvent | LifecycleEvent): event is LifecycleEvent {
  return LIFECYCLE.has(event.type);
}
