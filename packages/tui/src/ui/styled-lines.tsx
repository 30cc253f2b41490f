/**
 * Styled lines (markdown/lines.ts) drawn by Ink: one <Text> for all rows, its spans nested
 * <Text>s, which are not layout nodes, so a long reply costs Ink one node to lay out. The rows
 * already fit the width; Ink wraps only what a narrower terminal (after a resize) cuts.
 */
import { Text } from 'ink';
import type { ReactNode } from 'react';
import type { Line } from '../markdown/lines.js';

export function StyledLines({ lines }: { lines: readonly Line[] }) {
  const children: ReactNode[] = [];
  lines.forEach((line, row) => {
    if (row > 0) children.push('\n');
    line.forEach((span, i) => {
      const { style } = span;
      children.push(
        <Text
          // biome-ignore lint/suspicious/noArrayIndexKey: spans are positional; there is no other identity
          key={`${row}.${i}`}
          bold={style.bold ?? false}
          italic={style.italic ?? false}
          underline={style.underline ?? false}
          strikethrough={style.strikethrough ?? false}
          dimColor={style.dim ?? false}
          {...(style.color ? { color: style.color } : {})}
        >
          {span.text}
        </Text>,
      );
    });
  });
  // An empty last row would vanish; a space keeps it.
  if (lines.length === 0 || lines[lines.length - 1]!.length === 0) children.push(' ');
  return <Text>{children}</Text>;
}
