/**
 * The conversation: finished lines printed once with <Static> (so they scroll into the
 * terminal's own scrollback and cost nothing to redraw), then the reply line still streaming.
 */
import { Box, Static, Text } from 'ink';
import type { Entry, LiveTurn } from '../view/state.js';

export function History({ entries, turn }: { entries: readonly Entry[]; turn: LiveTurn | undefined }) {
  return (
    <>
      <Static items={entries as Entry[]}>{(entry) => <EntryLine key={entry.id} entry={entry} />}</Static>
      {turn && turn.partial !== '' ? <Text>{turn.partial}</Text> : null}
    </>
  );
}

function EntryLine({ entry }: { entry: Entry }) {
  switch (entry.kind) {
    case 'user':
      return (
        <Box marginTop={1}>
          <Box width={5} flexShrink={0}>
            <Text color="cyan" bold>
              you:
            </Text>
          </Box>
          <Text color="cyan">{entry.text}</Text>
        </Box>
      );
    case 'assistant':
      // An empty line still takes a row, as it did in the reply.
      return <Text>{entry.text === '' ? ' ' : entry.text}</Text>;
    case 'tool':
      return (
        <Text color="magenta" dimColor>
          {'  ⚙ '}
          {entry.text}
        </Text>
      );
    case 'tool_failed':
      return (
        <Text color="red">
          {'  ✗ '}
          {entry.text}
        </Text>
      );
    case 'system':
      return (
        <Text color="yellow" dimColor>
          {entry.text}
        </Text>
      );
    case 'error':
      return <Text color="red">{`error: ${entry.text}`}</Text>;
  }
}
