/**
 * What the WebSocket protocol's files share (gateway-protocol-sessions.test.ts,
 * gateway-protocol-turns.test.ts): a gateway per test, the clients a test opened (closed after
 * it), and `hello`, which opens one on the test's gateway and says hello.
 */

import { afterEach, beforeEach } from 'vitest';
import { type Hello, helloClient } from './hello-client.js';
import { ScriptedModel, startTestGateway, type TestGateway, TOKEN } from './helpers.js';

/**
 * For the calling file: before each test a gateway on a scripted model is handed to `started`;
 * `gateway` is read at each hello and after the test, so a test may start one of its own in its
 * place (the limits tests do), and that one is the one cleaned up.
 */
export function useProtocolGateway(gateway: () => TestGateway, started: (env: TestGateway) => void) {
  const clients: Array<{ close(): unknown }> = [];
  beforeEach(async () => {
    started(await startTestGateway({ model: new ScriptedModel() }));
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await gateway().cleanup();
  });
  async function hello(payload: Hello = {}) {
    const result = await helloClient(gateway().wsUrl, payload, TOKEN);
    clients.push(result.client);
    return result;
  }
  return { clients, hello };
}
