/**
 * The prompt: a bordered box with the text being typed and a block cursor, at most
 * MAX_VISIBLE_LINES lines tall (the part around the cursor); above it, what the agent is doing.
 */
import { Box, Text } from 'ink';
import { terminalSafe } from '../markdown/sanitize.js';
import type { EditorState } from './input-editor.js';

const MAX_VISIBLE_LINES = 10;

export interface InputBoxProps {
  editor: EditorState;
  /** The line above the box: the latest tool activity, "waiting..." or the key hints. */
  title: string;
  busy: boolean;
  connected: boolean;
}

export function InputBox({ editor, title, busy, connected }: InputBoxProps) {
  const lines = editor.text.split('\n');
  const cursorLine = editor.text.slice(0, editor.cursor).split('\n').length - 1;
  const first = Math.max(0, Math.min(cursorLine - MAX_VISIBLE_LINES + 1, lines.length - MAX_VISIBLE_LINES));
  const visible = lines.slice(first, first + MAX_VISIBLE_LINES);
  let lineStart = lines.slice(0, first).reduce((sum, line) => sum + line.length + 1, 0);
  const borderColor = !connected ? 'red' : busy ? 'yellow' : 'cyan';
  return (
    <Box flexDirection="column">
      <Text dimColor wrap="truncate-end">
        {/* It quotes a tool's arguments and progress messages: model text, made safe and kept to one row. */}
        {terminalSafe(title).replace(/\n/g, ' ')}
      </Text>
      <Box borderStyle="round" borderColor={borderColor} flexDirection="column" paddingX={1}>
        {visible.map((line, index) => {
          const start = lineStart;
          lineStart += line.length + 1;
          const prefix = first + index === 0 ? '› ' : '  ';
          const hasCursor = editor.cursor >= start && editor.cursor <= start + line.length;
          if (!hasCursor)
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: lines are positional; there is no other identity
              <Text key={first + index}>
                {prefix}
                {line}
              </Text>
            );
          const at = editor.cursor - start;
          const under = line.slice(at, at + 1) || ' ';
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines are positional; there is no other identity
            <Text key={first + index}>
              {prefix}
              {line.slice(0, at)}
              <Text inverse>{under}</Text>
              {line.slice(at + 1)}
            </Text>
          );
        })}
      </Box>
    </Box>
  );
}
