/**
 * Ctrl+C during a run: the first press cancels it (the stream stops, running tools and their
 * process groups are killed, the run ends as cancelled); a second press exits at once.
 */
export function onInterrupt(cancel: () => void, stderr: NodeJS.WritableStream = process.stderr): () => void {
  let pressed = false;
  const handler = () => {
    if (pressed) process.exit(130);
    pressed = true;
    stderr.write('\ncancelling... (press Ctrl+C again to quit at once)\n');
    cancel();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
