/**
 * /sessions in the TUI against the real gateway: the default session a plain hello attaches
 * (runtime-<user>) is listed as "Default session", and another session by the start of its first
 * message, one clean line (no escape sequence reaches the terminal).
 */

import { helloClient } from '@oxydra/gateway/testing/hello-client';
import { startTestGateway, type TestGateway, TOKEN } from '@oxydra/gateway/testing/helpers';
import type { GatewayClient } from '@oxydra/gateway-client';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { newTuiClient } from '../src/index.js';
import { TuiController } from '../src/view/controller.js';
import { isBusy } from '../src/view/state.js';
import { ViewStore } from '../src/view/store.js';

let env: TestGateway | undefined;
let client: GatewayClient | undefined;
afterEach(async () => {
  await client?.close();
  await env?.cleanup();
  client = undefined;
  env = undefined;
});

describe('TUI /sessions (real gateway)', () => {
  it('names the default session and titles another from its first message, cleaned', async () => {
    env = await startTestGateway();
    // A plain hello (what the dashboard and Oxydra's clients send) makes ann's default session.
    const plain = await helloClient(env.wsUrl, { user_id: 'ann' }, TOKEN);
    const first = plain.ack.session.session_id;
    await plain.client.close();
    expect(first).toBe('runtime-ann');
    // The TUI starts a new session of its own.
    client = newTuiClient({ url: env.wsUrl, token: TOKEN, userId: 'ann', healthIntervalMs: 60_000 });
    const store = new ViewStore();
    client.subscribe(store.dispatch);
    await client.connect();
    const controller = new TuiController({ client, store, exit: () => {} });
    const text = () => store.getState().entries.map((e) => `${e.kind}: ${e.text}`);
    expect(client.session!.session_id).not.toBe(first);
    controller.submit('\u001b[31mplan\u001b[0m the <b>trip</b>\u0007');
    await pollUntil(() => !isBusy(store.getState()) && store.getState().turn === undefined, 'the turn');
    await pollUntil(() => text().some((line) => line.startsWith('assistant:')), 'the answer');

    controller.submit('/sessions');
    await pollUntil(() => text().some((line) => line.includes('/switch <id>')), 'the list');
    const listed = text().filter((line) => line.startsWith('system: * ') || line.startsWith('system:   '));
    expect(listed).toHaveLength(2);
    expect(listed.some((line) => line.startsWith(`system:   ${first}  "Default session" default`))).toBe(
      true,
    );
    expect(
      listed.some((line) => /^system: \* [0-9a-f]{8} {2}"plan the <b>trip<\/b>" default/.test(line)),
    ).toBe(true);
    expect(listed.join(' ')).not.toMatch(/\p{Cc}/u);
  });
});
