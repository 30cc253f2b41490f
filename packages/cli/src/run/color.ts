/** Whether to color what goes to `stream`: a terminal, and NO_COLOR not set (no-color.org). */
export function colorFor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}
