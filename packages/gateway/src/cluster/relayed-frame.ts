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
import { type Kinds, readMessage, type Unread, unionKinds } from './messages.js';

/** The frame types this process's protocol has: a newer gateway's others are said apart. */
let frameTypes: Set<string> | undefined;
const FRAME_KINDS: Kinds = {
  key: 'type',
  known: () => {
    frameTypes ??= unionKinds(serverFrameSchema(), 'type');
    return frameTypes;
  },
};

/** The frame `text` is, or why it is none this process can send on (not JSON, not a frame, a type it has not). */
export function parseRelayedFrame(text: string): { message: ServerFrame } | Unread {
  return readMessage(serverFrameSchema(), text, FRAME_KINDS);
}

/** A type that looks like one of ours, else "unknown": what a log line may say of a dropped frame. */
export function shownFrameType(text: string): string {
  return shownName(frameType(text));
}

/** A name that looks like one of ours (a frame's type, a feed event's), else "unknown". */
export function shownName(name: string | undefined): string {
  return name !== undefined && /^[a-z_]{1,40}$/.test(name) ? name : 'unknown';
}
