/**
 * A gateway started in a new workspace does not create its memory database to become ready: the
 * file is created (and migrated) by the first use, a session's first turn, which is stored as
 * ever; /readyz says which of the two it is. A host's own store (PostgreSQL) is not deferred.
 */
import { existsSync } from 'node:fs';
import type { GatewayClient } from '@oxydra/gateway-client';
import { ON_POSTGRES } from '@oxydra/store-postgres/testing/test-store';
import { afterEach, describe, expect, it } from 'vitest';
import { helloClient } from './hello-client.js';
import { jsonOf, ownerSessions, sendTurn, startTestGateway, type TestGateway, TOKEN } from './helpers.js';

let env: TestGateway | undefined;
const clients: GatewayClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await env?.cleanup();
  env = undefined;
});

// Skipped on PostgreSQL: there the sessions live in the host's store, which is never deferred.
describe.skipIf(ON_POSTGRES)('the memory database of a new workspace', () => {
  it('is created by the first turn, not by the start or /readyz, and stores that turn', async () => {
    env = await startTestGateway();
    const ready = await fetch(`${env.gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await jsonOf(ready)).toMatchObject({ status: 'ready', session_store: 'created at first use' });
    expect(existsSync(env.dbPath)).toBe(false);

    const { client, inbox, ack } = await helloClient(
      env.wsUrl,
      { user_id: 'alice', create_new_session: true },
      TOKEN,
    );
    clients.push(client);
    const sessionId = ack.session.session_id;
    sendTurn(client, sessionId, 'remember me', 'first');
    await inbox.take('turn_completed');
    expect(existsSync(env.dbPath)).toBe(true);
    const after = await fetch(`${env.gateway.url}/readyz`);
    expect(after.status).toBe(200);
    expect(await jsonOf(after)).not.toHaveProperty('session_store');

    await env.stop();
    const stored = await env.storedSessions();
    try {
      const messages = await stored.sessions.loadMessages(sessionId);
      expect(messages.map((message) => message.role)).toEqual(['user', 'assistant']);
      expect(messages[0]).toMatchObject({ content: 'remember me' });
    } finally {
      await stored.close();
    }
  });

  it('is opened at the start when it exists (a restart reads it as before)', async () => {
    env = await startTestGateway();
    const { client, inbox, ack } = await helloClient(
      env.wsUrl,
      { user_id: 'alice', create_new_session: true },
      TOKEN,
    );
    clients.push(client);
    sendTurn(client, ack.session.session_id, 'hello', 'first');
    await inbox.take('turn_completed');
    client.close();
    env = await env.restart();
    const ready = await fetch(`${env.gateway.url}/readyz`);
    expect(await jsonOf(ready)).not.toHaveProperty('session_store');
    expect(await (await ownerSessions(env.kernel)).count()).toBe(1);
  });
});
