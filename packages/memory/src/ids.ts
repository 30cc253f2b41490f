/**
 * Ids and timestamps. Session ids are UUID version 7 (RFC 9562): a millisecond timestamp
 * first, so ids sort by creation time as plain strings, with a counter in the 12 `rand_a` bits
 * (RFC 9562 method 1) so ids made in the same millisecond, or after the clock stepped back,
 * still sort in creation order within a process.
 */
import { randomBytes, randomUUID } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/** A new UUID v7 string, e.g. `01890a5d-ac96-774b-bcce-b302099a8057`. */
export function newSessionId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    // Start low in the 12-bit range so the same millisecond leaves room for 2048+ more ids.
    counter = randomBytes(2).readUInt16BE(0) & 0x7ff;
  } else if (++counter > 0xfff) {
    // 4096 ids in one millisecond, or the clock went back: borrow the next millisecond.
    lastMs += 1;
    counter = 0;
  }
  const bytes = randomBytes(16);
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Notes are `note-<uuid v4>`, the form the memory tools and Oxydra's scrubber recognise. */
export function newNoteId(): string {
  return `note-${randomUUID()}`;
}

/** Timestamps are ISO 8601 UTC strings with milliseconds: readable in SQL and sortable as text. */
export function nowIso(): string {
  return new Date().toISOString();
}
