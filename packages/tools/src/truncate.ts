/** Byte caps on text that never split a UTF-8 character. */
import { utf8Prefix } from '@oxydra/sandbox/detect';

export { utf8Prefix, utf8Suffix } from '@oxydra/sandbox/detect';

export function truncationSuffix(originalBytes: number): string {
  return `\n[output truncated — original size: ${originalBytes} bytes]`;
}

/**
 * `text` cut to at most `maxBytes` UTF-8 bytes, the suffix included, so the model knows how much
 * it did not see. Text within the cap is returned unchanged.
 */
export function truncateOutput(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  const suffix = truncationSuffix(bytes.length);
  const room = maxBytes - Buffer.byteLength(suffix, 'utf8');
  return utf8Prefix(bytes, room).toString('utf8') + suffix;
}
