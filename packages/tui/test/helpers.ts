/** Shared bits of the TUI package's tests: event recording. */
import type { ClientEvent, GatewayClient } from '../src/index.js';

export const TOKEN = 'gw-test-token-4f1c9a7e2b';

/** Every event a client emits, from now on. */
export function record(client: GatewayClient): ClientEvent[] {
  const events: ClientEvent[] = [];
  client.subscribe((event) => events.push(event));
  return events;
}

export function framesOf(events: readonly ClientEvent[], type: string) {
  return events.filter((e) => e.kind === 'frame' && e.frame.type === type);
}
