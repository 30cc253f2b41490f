/**
 * A live feed event heard from another gateway process, checked before this process's dashboards
 * get it (as a session frame is, relayed-frame.ts): its name one of the feed's and its data that
 * event's shape (feedEventSchemas, the one the feed's own events are rendered to). What is sent
 * on is the parsed data, so keys the schema does not name never reach a dashboard. Loaded with
 * this process's first client of the feed (gateway-cluster.ts): a process nobody watches never
 * checks one.
 */
import { feedEventSchemas } from '../api/feed-render.js';
import type { FeedMessage } from './messages.js';

/** `message` with its data as parsed, or undefined when it is no event of the feed. */
export function parseRelayedFeed(message: FeedMessage): FeedMessage | undefined {
  if (!Object.hasOwn(feedEventSchemas, message.name)) return undefined;
  const schema = feedEventSchemas[message.name as keyof typeof feedEventSchemas];
  const parsed = schema.safeParse(message.data);
  return parsed.success ? { ...message, data: parsed.data } : undefined;
}
