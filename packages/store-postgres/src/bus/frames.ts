/**
 * A bus message as NOTIFY payloads, and back. A payload is a JSON header line and a body:
 *
 *   {"f":"<from>","t":"<topic>","i":"<message id>","n":<chunk>,"c":<chunks>,"e":"t"|"b"}\n<body>
 *
 * PostgreSQL refuses payloads of 8000 bytes or more, so a message whose UTF-8 bytes do not fit
 * in one payload (SAFE_PAYLOAD_BYTES, header included) is cut into numbered chunks, by bytes,
 * each ending on a character boundary so every body is valid text (`e: "t"`). Text holding NUL
 * (which a PostgreSQL text value cannot), or a database whose encoding is not UTF-8, gets its
 * bodies as base64 (`e: "b"`). Either way the receiver turns bodies back into bytes and joins
 * them as Buffers, so a character cut nowhere and cut anywhere read the same.
 */
import { BUS_TOPIC, OxydraError } from '@oxydra/types';

/** Largest message, in UTF-8 bytes (the EventBus contract's 1 MiB). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Largest payload sent, header included: well under PostgreSQL's 8000-byte limit. */
const SAFE_PAYLOAD_BYTES = 7000;
/** Most chunks a message may have: 1 MiB as base64 in the smallest body a header leaves. */
const MAX_CHUNKS = 256;
/** The topic of `check()`'s round trip: not a BUS_TOPIC, so nobody can subscribe to it. */
export const PING_TOPIC = '.ping';
/** A process id: 1-128 printable ASCII characters (no spaces), as it goes into every header. */
const PROCESS_ID = /^[\x21-\x7e]{1,128}$/;

export interface Frame {
  from: string;
  topic: string;
  id: string;
  /** This chunk's number, 0 to count - 1. */
  seq: number;
  count: number;
  /** The body's bytes. */
  bytes: Buffer;
}

export function checkProcessId(processId: string): string {
  if (typeof processId !== 'string' || !PROCESS_ID.test(processId)) {
    throw new OxydraError(
      'usage_error',
      `event bus process id ${JSON.stringify(String(processId).slice(0, 140))} is not 1-128 printable ASCII characters without spaces`,
    );
  }
  return processId;
}

export function checkTopic(topic: string): string {
  if (typeof topic !== 'string' || !BUS_TOPIC.test(topic)) {
    throw new OxydraError(
      'usage_error',
      `event bus topic ${JSON.stringify(String(topic).slice(0, 40))} is not 1-32 characters of a-z, 0-9 and _`,
    );
  }
  return topic;
}

/** Splits `bytes` (valid UTF-8) into pieces of at most `max` bytes, each ending on a character boundary. */
function splitText(bytes: Buffer, max: number): Buffer[] {
  const pieces: Buffer[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + max, bytes.length);
    // A continuation byte (10xxxxxx) is inside a character: end before that character.
    while (end < bytes.length && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
    pieces.push(bytes.subarray(start, end));
    start = end;
  }
  return pieces.length > 0 ? pieces : [bytes];
}

function splitRaw(bytes: Buffer, max: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += max) pieces.push(bytes.subarray(start, start + max));
  return pieces.length > 0 ? pieces : [bytes];
}

function header(
  from: string,
  topic: string,
  id: string,
  seq: number,
  count: number,
  encoding: 't' | 'b',
): string {
  return `${JSON.stringify({ f: from, t: topic, i: id, n: seq, c: count, e: encoding })}\n`;
}

/**
 * The payloads carrying `data`, in order. Throws (usage_error) for a message over 1 MiB.
 * `textBodies` is false when the database cannot take UTF-8 text as it is.
 */
export function encodeMessage(
  message: { from: string; topic: string; id: string; data: string },
  textBodies: boolean,
): string[] {
  const { from, topic, id, data } = message;
  const bytes = Buffer.from(data, 'utf8');
  if (bytes.length > MAX_MESSAGE_BYTES) {
    throw new OxydraError(
      'usage_error',
      `event bus message on topic ${topic} is ${bytes.length} bytes of UTF-8; the most is 1 MiB (${MAX_MESSAGE_BYTES} bytes)`,
      { hint: 'send a reference to data in the store instead of the data' },
    );
  }
  const encoding = textBodies && !data.includes('\u0000') ? 't' : 'b';
  // The longest header this message can have: its chunk numbers at their widest.
  const room =
    SAFE_PAYLOAD_BYTES - Buffer.byteLength(header(from, topic, id, MAX_CHUNKS, MAX_CHUNKS, encoding));
  const pieces = encoding === 't' ? splitText(bytes, room) : splitRaw(bytes, Math.floor(room / 4) * 3);
  return pieces.map(
    (piece, seq) =>
      header(from, topic, id, seq, pieces.length, encoding) +
      piece.toString(encoding === 't' ? 'utf8' : 'base64'),
  );
}

const isCount = (n: unknown): n is number =>
  Number.isInteger(n) && (n as number) >= 1 && (n as number) <= MAX_CHUNKS;

/** The frame a payload carries, or undefined for anything that is not one (it is dropped). */
export function decodeFrame(payload: string): Frame | undefined {
  const newline = payload.indexOf('\n');
  if (newline < 0 || newline > 400) return undefined;
  let head: { f?: unknown; t?: unknown; i?: unknown; n?: unknown; c?: unknown; e?: unknown };
  try {
    head = JSON.parse(payload.slice(0, newline));
  } catch {
    return undefined;
  }
  const { f, t, i, n, c, e } = head ?? {};
  if (typeof f !== 'string' || typeof t !== 'string' || typeof i !== 'string') return undefined;
  if (!isCount(c) || !Number.isInteger(n) || (n as number) < 0 || (n as number) >= c) return undefined;
  if (e !== 't' && e !== 'b') return undefined;
  const body = payload.slice(newline + 1);
  return {
    from: f,
    topic: t,
    id: i,
    seq: n as number,
    count: c,
    bytes: Buffer.from(body, e === 't' ? 'utf8' : 'base64'),
  };
}
