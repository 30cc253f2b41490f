/** Byte cuts of UTF-8 text that never split a character. */

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
