/** A stored session as the protocol's session_list entry (and the REST API's). */
import type { Session } from '@oxydra/memory';
import { sessionName } from '@oxydra/types';
import type { SessionSummary } from '@oxydra/types/gateway';
import { DEFAULT_AGENT } from './types.js';

/** Sessions started before the gateway (by `oxydra run`/`chat`) have no channel: they came from the CLI. */
const CLI_CHANNEL = 'cli';

export function sessionSummary(session: Session): SessionSummary {
  return {
    session_id: session.id,
    // What lists show; the same rule `oxydra sessions list` and the terminal UI apply.
    name: sessionName(session),
    agent_name: session.agent ?? DEFAULT_AGENT,
    ...(session.title !== undefined ? { display_name: session.title } : {}),
    channel_origin: session.channelOrigin ?? CLI_CHANNEL,
    created_at: session.createdAt,
    last_active_at: session.updatedAt,
    archived: session.archivedAt !== undefined,
  };
}
