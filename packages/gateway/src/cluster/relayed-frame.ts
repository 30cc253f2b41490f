/**
 * A session frame heard from another gateway process, checked before this process's clients
 * get it: whoever can write the deployment's bus (the database: a local user with its password,
 * a bug) could otherwise send them any bytes as the gateway's own (a browser's dashboard trusts
 * what its gateway sends). Checked against the protocol's own schema (@oxydra/types/gateway),
 * the one the Node clients read frames with; the text relayed is the one received, so a frame
 * costs one JSON.parse and one schema check, and only when this process has a client of its session.
 */
import { type ServerFrame, serverFrameSchema } from '@oxydra/types/gateway';
import { frameType } from '../frame-type.js';

/** The frame `text` is, or undefined when it is not JSON or not a frame of this protocol. */
export function parseRelayedFrame(text: string): ServerFrame | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = serverFrameSchema().safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** A type that looks like one of ours, else "unknown": what a log line may say of a dropped frame. */
export function shownFrameType(text: string): string {
  return shownName(frameType(text));
}

/** A name that looks like one of ours (a frame's type, a feed event's), else "unknown". */
export function shownName(name: string | undefined): string {
  return name !== undefined && /^[a-z_]{1,40}$/.test(name) ? name : 'unknown';
}
