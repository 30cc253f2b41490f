/**
 * Reading and writing frames. The default codec only parses JSON and trusts the shape (it keeps
 * zod out of the dashboard's bundle); `checkedCodec` (@oxydra/gateway-client/checked) checks
 * every frame against the protocol's zod schemas in both directions.
 */
import type { ClientFrame, ServerFrame } from '@oxydra/types/gateway';

export type DecodedFrame = { ok: true; frame: ServerFrame } | { ok: false; problem: string };

export interface FrameCodec {
  /** One text message from the gateway as a frame, or why it is not one (reported, never fatal). */
  decode(text: string): DecodedFrame;
  /** A frame to send; may throw when the frame is invalid (a bug in the caller). */
  encode(frame: ClientFrame): string;
}

export const plainCodec: FrameCodec = {
  decode(text) {
    const value = parseJson(text);
    if (!value.ok) return value;
    const frame = value.value as Partial<ServerFrame> | null;
    if (
      typeof frame !== 'object' ||
      frame === null ||
      typeof frame.type !== 'string' ||
      typeof frame.payload !== 'object'
    )
      return { ok: false, problem: `not a frame: ${preview(text)}` };
    return { ok: true, frame: frame as ServerFrame };
  },
  encode: (frame) => JSON.stringify(frame),
};

export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, problem: `not JSON: ${preview(text)}` };
  }
}

export function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}
