/**
 * What the end-to-end tests of a deployment on PostgreSQL (several processes on one schema) ask
 * of the mock model and send their gateways: the same scenario and turn in every such file.
 */

import type { GatewayClient } from '@oxydra/gateway-client';
import type { ScenarioStep } from '@oxydra/testkit';

/**
 * "slow" prompts stream for about three seconds, "glacial" ones for twelve (they are
 * cancelled, or their process killed); anything else answers at once.
 */
export const CLUSTER_STEPS: ScenarioStep[] = [
  {
    match: { lastMessageContains: 'glacial' },
    times: 'always',
    reply: { text: Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '), textChunks: 40 },
    fault: { slowChunksMs: 300 },
  },
  {
    match: { lastMessageContains: 'slow' },
    times: 'always',
    reply: { text: 'one two three four five six seven eight nine ten', textChunks: 10 },
    fault: { slowChunksMs: 300 },
  },
  { times: 'always', reply: { text: 'Answered.' } },
];

/** A session turn sent over the client's WebSocket. */
export function sendTurn(client: GatewayClient, sessionId: string, turnId: string, prompt: string): void {
  client.send('send_turn', { session_id: sessionId, turn_id: turnId, prompt });
}
