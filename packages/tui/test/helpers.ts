/** Shared bits of the TUI package's tests: event recording and deadline polling. */
import type { ClientEvent, GatewayClient } from '../src/index.js';

export const TOKEN = 'gw-test-token-4f1c9a7e2b';

/** Poll until `check` holds, failing after `timeoutMs` with what was awaited. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Every event a client emits, from now on. */
export function record(client: GatewayClient): ClientEvent[] {
  const events: ClientEvent[] = [];
  client.subscribe((event) => events.push(event));
  return events;
}

export function framesOf(events: readonly ClientEvent[], type: string) {
  return events.filter((e) => e.kind === 'frame' && e.frame.type === type);
}
