/**
 * Shared bits of the TUI package's tests: a TUI client attached to a real gateway (a real kernel
 * whose model is the testkit's scripted provider, see packages/gateway/test/helpers.ts), and
 * event recording.
 */

import { type Script, startTestGateway, type TestGateway, TOKEN } from '@oxydra/gateway/testing/helpers';
import type { ClientEvent, GatewayClient } from '@oxydra/gateway-client';
import { newTuiClient, type TuiClientOptions } from '../src/index.js';

export { TOKEN };

/** A real gateway answering with `script` (default: an echo), and a TUI client for it (not connected). */
export async function realGateway(
  script?: Script,
  options: Partial<TuiClientOptions> = {},
): Promise<{ env: TestGateway; client: GatewayClient }> {
  const env = await startTestGateway();
  if (script) env.model.script = script;
  const client = newTuiClient({ url: env.wsUrl, token: TOKEN, healthIntervalMs: 60_000, ...options });
  return { env, client };
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
