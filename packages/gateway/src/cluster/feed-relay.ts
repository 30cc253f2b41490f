/**
 * The live feed across processes: this process's kernel events that GET /api/v1/events sends
 * are rendered once here and published, so a dashboard connected to any gateway process of the
 * deployment sees agents running on all of them; only while another process has a client of the
 * feed (presence.ts), else neither rendered nor sent. Loaded only when the gateway is one of several.
 */
import type { Kernel } from '@oxydra/kernel';
import type { GatewayCluster } from './gateway-cluster.js';

/** Starts relaying; returns the function that stops it. */
export async function startFeedRelay(kernel: Kernel, cluster: GatewayCluster): Promise<() => void> {
  const { FEED_EVENT_TYPES, renderFeedEvent } = await import('../api/feed-render.js');
  const subscription = kernel.subscribe({ types: FEED_EVENT_TYPES });
  void (async () => {
    for await (const envelope of subscription) {
      if (!cluster.relaysFeed()) continue;
      for (const [name, data] of renderFeedEvent(envelope, kernel)) {
        cluster.publishFeed({
          ...(envelope.userId !== undefined ? { user_id: envelope.userId } : {}),
          name,
          data,
        });
      }
    }
  })();
  return () => subscription.close();
}
