/** What makes a gateway process one of several on one store (GatewayOptions.cluster). */
import type { ClusterStore, EventBus, ProcessInfo } from '@oxydra/types';

export interface GatewayClusterOptions {
  store: ClusterStore;
  bus: EventBus;
  /** This process (its id is the bus's processId). */
  process: ProcessInfo;
  /** How often this process beats and looks for dead ones; default 1 s. */
  beatMs?: number;
  /** A process silent this long is dead: its runs are reported interrupted; default 5 s. */
  staleMs?: number;
}
