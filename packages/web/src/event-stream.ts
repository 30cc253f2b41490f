/**
 * The gateway's live event feed (GET /api/v1/events) for the dashboard's pages: the shared
 * follower of @oxydra/gateway-client over the dashboard's authorised request (api.ts).
 */
import { followEvents as follow, type ServerEvent } from '@oxydra/gateway-client';
import { request } from './api.js';

/** Follows the event stream; `onState` hears whether it is live. Returns a stop function. */
export function followEvents(
  onEvent: (event: ServerEvent) => void,
  onState?: (live: boolean, problem?: string) => void,
): () => void {
  return follow({
    open: (signal) => request('/api/v1/events', { signal }),
    onEvent,
    ...(onState ? { onState } : {}),
  });
}
