/** Byte caps on text that never split a UTF-8 character. */

const isContinuationByte = (byte: number | undefined): boolean =>
  byte !== undefined && (byte & 0xc0) === 0x80;

/** Bytes in the UTF-8 sequence a lead byte starts. */
const sequenceLength = (lead: number): number => (lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2);

/**
 * The longest prefix of `bytes` that is at most `maxBytes` long and ends on a character boundary.
 * Also drops an incomplete character at the end of `bytes` itself (a slice of a stream).
 */
export function utf8Prefix(bytes: Buffer, maxBytes: number): Buffer {
  let end = Math.min(bytes.length, Math.max(0, maxBytes));
  let lead = end - 1;
  while (lead > 0 && lead > end - 4 && isContinuationByte(bytes[lead])) lead--;
  const first = bytes[lead];
  if (first !== undefined && !isContinuationByte(first) && lead + sequenceLength(first) > end) end = lead;
  return bytes.subarray(0, end);
}

/**
 * The longest suffix of `bytes` that is at most `maxBytes` long and starts on a character
 * boundary. Also drops the tail of a character cut at the start of `bytes` itself.
 */
export function utf8Suffix(bytes: Buffer, maxBytes: number): Buffer {
  let start = Math.max(0, bytes.length - Math.max(0, maxBytes));
  while (start < bytes.length && isContinuationByte(bytes[start])) start++;
  return bytes.subarray(start);
}

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
