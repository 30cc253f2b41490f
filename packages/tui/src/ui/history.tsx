/**
 * The conversation: finished entries printed once with <Static> (so they scroll into the
 * terminal's own scrollback and cost nothing to redraw), then the reply's open Markdown block
 * still streaming, redrawn as it grows. The model's replies are drawn as Markdown; every other
 * line is made terminal-safe too (tool summaries and errors carry model and tool text).
 */
import { Box, Static, Text, useStdout } from 'ink';
import { useMemo } from 'react';
import { layoutMarkdown } from '../markdown/layout.js';
import { layoutLive } from '../markdown/live.js';
import { terminalSafe } from '../markdown/sanitize.js';
import type { Entry, LiveTurn } from '../view/state.js';
import { StyledLines } from './styled-lines.js';

/** Rows below the live reply: the title line, the input box (3+) and the status bar. */
const ROWS_BELOW = 8;

export function History({ entries, turn }: { entries: readonly Entry[]; turn: LiveTurn | undefined }) {
  const { stdout } = useStdout();
  const width = stdout.columns || 80;
  const rows = stdout.rows || 24;
  const continues = entries[entries.length - 1]?.kind === 'assistant';
  return (
    <>
      <Static items={entries as Entry[]}>
        {(entry) => <EntryLine key={entry.id} entry={entry} width={width} />}
      </Static>
      {turn && turn.partial.trim() !== '' ? (
        <LiveReply
          text={turn.partial}
          fence={turn.open.fence !== undefined}
          width={width}
          maxRows={rows - ROWS_BELOW}
          continues={continues}
        />
      ) : null}
    </>
  );
}

function LiveReply({
  text,
  fence,
  width,
  maxRows,
  continues,
}: {
  text: string;
  fence: boolean;
  width: number;
  maxRows: number;
  continues: boolean;
}) {
  const lines = useMemo(() => layoutLive(text, width, maxRows, fence), [text, width, maxRows, fence]);
  return (
    <Box marginTop={continues ? 1 : 0}>
      <StyledLines lines={lines} />
    </Box>
  );
}

function Reply({ entry, width }: { entry: Entry; width: number }) {
  const lines = useMemo(() => layoutMarkdown(entry.text, width), [entry.text, width]);
  return (
    <Box marginTop={entry.continues ? 1 : 0}>
      <StyledLines lines={lines} />
    </Box>
  );
}

function EntryLine({ entry, width }: { entry: Entry; width: number }) {
  const text = terminalSafe(entry.text);
  switch (entry.kind) {
    case 'user':
      return (
        <Box marginTop={1}>
          <Box width={5} flexShrink={0}>
            <Text color="cyan" bold>
              you:
            </Text>
          </Box>
          <Text color="cyan">{text}</Text>
        </Box>
      );
    case 'assistant':
      return <Reply entry={entry} width={width} />;
    case 'tool':
      return (
        <Text color="magenta" dimColor>
          {'  ⚙ '}
          {text}
        </Text>
      );
    case 'tool_failed':
      return (
        <Text color="red">
          {'  ✗ '}
          {text}
        </Text>
      );
    case 'system':
      return (
        <Text color="yellow" dimColor>
          {text}
        </Text>
      );
    case 'error':
      return <Text color="red">{`error: ${text}`}</Text>;
  }
}
