/** One line under the prompt: connection, session, turn state, the session's tokens and cost. */

import type { ConnectionState } from '@oxydra/gateway-client';
import { shortSessionId } from '@oxydra/types';
import { Box, Text } from 'ink';
import { formatUsage } from '../view/format.js';
import { EMPTY_USAGE, isBusy, type ViewState } from '../view/state.js';

export function StatusBar({ state }: { state: ViewState }) {
  const session = state.session?.session_id;
  const usage = (session && state.usage[session]) || EMPTY_USAGE;
  const turnState = state.turn ? 'streaming' : isBusy(state) ? 'waiting' : 'idle';
  return (
    <Box>
      <Text wrap="truncate-end">
        <Text color={connectionColor(state.connection, state.healthy)}>
          ● {connectionLabel(state.connection)}
        </Text>
        <Text dimColor> │ </Text>
        <Text>session {session ? shortSessionId(session) : '-'}</Text>
        <Text dimColor> │ </Text>
        <Text color={turnState === 'idle' ? 'green' : 'yellow'}>{turnState}</Text>
        <Text dimColor> │ </Text>
        <Text>{formatUsage(usage)}</Text>
        <Text dimColor>
          {' │ '}
          {turnState === 'idle' ? 'Ctrl+C quit' : 'Ctrl+C cancel'} · /help
        </Text>
      </Text>
    </Box>
  );
}

function connectionLabel(connection: ConnectionState): string {
  switch (connection.state) {
    case 'connecting':
      return 'connecting';
    case 'connected':
      return 'connected';
    case 'reconnecting':
      return `reconnecting (attempt ${connection.attempt})`;
    case 'closed':
      return 'disconnected';
  }
}

function connectionColor(connection: ConnectionState, healthy: boolean | undefined): string {
  if (connection.state === 'connected') return healthy === false ? 'yellow' : 'green';
  return connection.state === 'closed' ? 'red' : 'yellow';
}
