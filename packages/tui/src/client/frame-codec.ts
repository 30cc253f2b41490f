/**
 * Reading and writing gateway frames. Every frame is checked against the shared zod schemas in
 * both directions: a frame we send that does not match is a bug in the TUI (thrown), a frame we
 * receive that does not match is the gateway's problem (reported and ignored, never fatal).
 */
import { type ClientFrame, clientFrameSchema, type ServerFrame, serverFrameSchema } from '@oxydra/types';

export type DecodedFrame = { ok: true; frame: ServerFrame } | { ok: false; problem: string };

/** Parse one WebSocket text message from the gateway. */
export function decodeServerFrame(text: string): DecodedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: `not JSON: ${preview(text)}` };
  }
  const parsed = serverFrameSchema.safeParse(value);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  return {
    ok: false,
    problem: `${typeof type === 'string' ? `a "${preview(type)}" frame` : 'a frame'} that does not match protocol v2${where}: ${issue?.message ?? 'invalid'}`,
  };
}

/** Serialise a client frame, applying the schema's defaults; throws if the frame is invalid. */
export function encodeClientFrame(frame: ClientFrame): string {
  return JSON.stringify(clientFrameSchema.parse(frame));
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}
