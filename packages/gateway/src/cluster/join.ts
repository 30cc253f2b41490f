/**
 * The gateway's way into a deployment of several processes, loaded (with everything under
 * cluster/) only when GatewayOptions.cluster is set: a gateway alone never loads it.
 */
import type { Admission } from '@oxydra/kernel';
import type { GatewayLogger } from '../types.js';
import { GatewayCluster } from './gateway-cluster.js';
import { clusterHost, type LinkedHub } from './hub-link.js';
import type { GatewayClusterOptions } from './options.js';

export { startFeedRelay } from './feed-relay.js';

/** What the hub calls to build its membership, acting on the hub and on the kernel's per-user limit. */
export function clusterFactory(
  options: GatewayClusterOptions,
  admission: Admission,
  log: GatewayLogger,
): (hub: LinkedHub) => GatewayCluster {
  return (hub) => new GatewayCluster(options, clusterHost(hub), admission, log);
}
