/**
 * A live feed event heard from another gateway process, checked before this process's dashboards
 * get it (as a session frame is, relayed-frame.ts): its name one of the feed's and its data that
 * event's shape (feedEventSchemas, the one the feed's own events are rendered to). What is sent
 * on is the parsed data, so keys the schema does not name never reach a dashboard. Loaded with
 * this process's first client of the feed (gateway-cluster.ts): a process nobody watches never
 * checks one.
 */
import { feedEventSchemas } from '../api/feed-render.js';
import type { FeedMessage, Unread } from './messages.js';

/**
 * `message` with its data as parsed, or why not: a name the feed has not (a newer gateway's
 * event), or data not of its shape.
 */
export function parseRelayedFeed(message: FeedMessage): { message: FeedMessage } | Unread {
  if (!Object.hasOwn(feedEventSchemas, message.name)) return { why: 'unknown type', type: message.name };
  const schema = feedEventSchemas[message.name as keyof typeof feedEventSchemas];
  const parsed = schema.safeParse(message.data);
  return parsed.success ? { message: { ...message, data: parsed.data } } : { why: 'wrong shape' };
}
