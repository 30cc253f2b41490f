/**
 * What gateway processes of one deployment say to each other over the event bus, and the one
 * parser for it. Messages come from processes of the same deployment, but are still read as
 * untrusted text: anything that does not parse is dropped, never acted on.
 */
import { z } from 'zod';
import { nestsTooDeep } from '../json-depth.js';

// `session` (a session's frame, for its clients attached to other processes; sessionMessage
// below) is named in the kernel (SESSION_TOPIC, @oxydra/kernel/deployment): a member that is not
// a gateway publishes on it too, reporting a dead gateway's turn it reaped.
/** Requests for the process holding a run: cancel it, or answer its approval question. */
export const CONTROL_TOPIC = 'control';
// `released` (a user's slot came free) is every member's, not only the gateways': the kernel's
// DeploymentMember sends and hears it.
/**
 * The live feed's events (GET /api/v1/events), as each process renders them: sent only while
 * another process has a client of the feed (presence.ts).
 */
export const FEED_TOPIC = 'feed';
/**
 * The sessions a process has clients of (its whole list, with every beat and when it changes),
 * and whether it has clients of the live feed: the others relay those sessions' frames to it,
 * and no others, and their feed only while it has such clients (presence.ts).
 */
export const PRESENCE_TOPIC = 'presence';

const id = z.string().min(1).max(256);

export const sessionMessage = z.object({
  session_id: id,
  /** The frame's JSON text, sent on as it is. */
  frame: z.string().max(2 * 1024 * 1024),
  approvers_only: z.boolean().optional(),
});
export type SessionMessage = z.infer<typeof sessionMessage>;

export const controlMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('cancel'), session_id: id }),
  z.object({ kind: z.literal('cancel_all'), user_id: id }),
  z.object({ kind: z.literal('approval'), user_id: id, approval_id: id, allow: z.boolean() }),
]);
export type ControlMessage = z.infer<typeof controlMessage>;

export const feedMessage = z.object({
  /** Whose agent it was: a user token hears only its own user's. */
  user_id: id.optional(),
  name: z.string().max(64),
  data: z.unknown(),
});
export type FeedMessage = z.infer<typeof feedMessage>;

export const presenceMessage = z.object({
  sessions: z.array(id).max(100_000),
  /**
   * Whether the process has clients of the live feed (GET /api/v1/events): the others relay
   * their feed to it only then. Absent (a process of an earlier version, which always relayed):
   * taken as yes, so its clients miss nothing.
   */
  feed: z.boolean().optional(),
  /** Answer me (with your own list): I wait to know you heard this one. */
  ask: id.optional(),
  /** The `ask` this message answers. */
  answers: id.optional(),
});
export type PresenceMessage = z.infer<typeof presenceMessage>;

/**
 * Why a message of the bus was not read: not JSON, nested past MAX_JSON_DEPTH, not its topic's shape, or (where a message
 * names its kind) a kind this process does not know: during a rolling deploy a newer process
 * sends kinds an older one has not, which the log says apart from what is malformed.
 */
export type Unread = { why: 'not JSON' | 'too deep' | 'wrong shape' } | { why: 'unknown type'; type: string };

/** Where a message names its kind (`type`, `kind`), and the kinds this process knows. */
export interface Kinds {
  key: string;
  known: () => ReadonlySet<string>;
}

/** The message parsed by `schema`, or why it was not. */
export function readMessage<T>(schema: z.ZodType<T>, text: string, kinds?: Kinds): { message: T } | Unread {
  // Before the parse, the bound every door of the gateway shares (json-depth.ts).
  if (nestsTooDeep(text)) return { why: 'too deep' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { why: 'not JSON' };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { message: parsed.data };
  // Looked at only for what failed: the messages that parse pay nothing for it.
  const type =
    kinds && typeof json === 'object' && json !== null
      ? (json as Record<string, unknown>)[kinds.key]
      : undefined;
  return typeof type === 'string' && !kinds!.known().has(type)
    ? { why: 'unknown type', type }
    : { why: 'wrong shape' };
}

/** The values of a discriminated union's `key`, each option's literal: the kinds it knows. */
export function unionKinds(
  union: { options: readonly { shape: Record<string, unknown> }[] },
  key: string,
): Set<string> {
  return new Set(union.options.map((option) => (option.shape[key] as z.ZodLiteral<string>).value));
}

/** The control messages' kinds this process acts on. */
const controlKinds = unionKinds(controlMessage, 'kind');
export const CONTROL_KINDS: Kinds = { key: 'kind', known: () => controlKinds };
