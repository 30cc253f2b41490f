/**
 * What typed lines and Ctrl+C do, end to end through the real client and a real WebSocket to the
 * stub gateway, observed in the view store the Ink app draws.
 */

import { MockGateway, type TurnStep } from '@oxydra/testkit';
import { pollUntil } from '@oxydra/testkit/helpers';
import { shortSessionId } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayClient } from '../src/index.js';
import { TuiController } from '../src/view/controller.js';
import { isBusy } from '../src/view/state.js';
import { ViewStore } from '../src/view/store.js';
import { TOKEN } from './helpers.js';

let stub: MockGateway | undefined;
let client: GatewayClient | undefined;
afterEach(async () => {
  await client?.close();
  await stub?.close();
  client = undefined;
  stub = undefined;
});

async function setup(script?: (prompt: string) => TurnStep[]) {
  stub = await MockGateway.start({ token: TOKEN, ...(script ? { script } : {}) });
  client = new GatewayClient({ url: stub.url, token: TOKEN, healthIntervalMs: 60_000 });
  const store = new ViewStore();
  client.subscribe(store.dispatch);
  await client.connect();
  let exits = 0;
  const controller = new TuiController({ client, store, exit: () => exits++ });
  const text = () => store.getState().entries.map((e) => `${e.kind}: ${e.text}`);
  return { store, controller, text, exits: () => exits };
}

describe('TUI controller', () => {
  it('sends a prompt and shows the streamed reply and the session usage', async () => {
    const { store, controller, text } = await setup();
    expect(controller.submit('hello there')).toBe(true);
    await pollUntil(() => !isBusy(store.getState()), 'the turn to finish');
    expect(text()).toEqual(['user: hello there', 'assistant: echo: hello there']);
    const [turn] = stub!.framesOf('send_turn');
    expect(turn?.payload).toMatchObject({ prompt: 'hello there', session_id: client!.session!.session_id });
    expect(store.getState().usage[client!.session!.session_id]).toMatchObject({
      inputTokens: 1200,
      outputTokens: 345,
    });
  });

  it('refuses a second prompt while a turn runs, keeping it in the input', async () => {
    const { store, controller, text } = await setup(() => [{ delta: 'working' }, { hold: true }]);
    controller.submit('first');
    await pollUntil(() => store.getState().turn !== undefined, 'the turn to start');
    expect(controller.submit('second')).toBe(false);
    expect(text().at(-1)).toBe(
      'error: a turn is still running; wait for it, or cancel it with Ctrl+C or /cancel',
    );
    expect(stub!.framesOf('send_turn')).toHaveLength(1);
  });

  it('Ctrl+C cancels the running turn, a second one quits; when idle it quits at once', async () => {
    const { store, controller, text, exits } = await setup(() => [{ delta: 'working' }, { hold: true }]);
    controller.interrupt();
    expect(exits()).toBe(1);

    controller.submit('long job');
    await pollUntil(() => store.getState().turn !== undefined, 'the turn to start');
    controller.interrupt();
    expect(exits()).toBe(1);
    await pollUntil(() => !isBusy(store.getState()), 'the cancellation');
    expect(stub!.framesOf('cancel_active_turn')[0]?.payload).toMatchObject({
      session_id: client!.session!.session_id,
      turn_id: stub!.framesOf('send_turn')[0]?.payload.turn_id,
    });
    expect(text()).toContain('system: turn cancelled');

    controller.submit('another');
    await pollUntil(() => store.getState().turn !== undefined, 'the second turn to start');
    controller.interrupt();
    expect(exits()).toBe(1);
    // Before turn_cancelled comes back, a second Ctrl+C quits rather than asking again.
    controller.interrupt();
    expect(exits()).toBe(2);
    await pollUntil(() => stub!.framesOf('cancel_active_turn').length === 2, "the second turn's cancel");
  });

  it('/new, /sessions and /switch by short id', async () => {
    const { store, controller, text } = await setup();
    const first = client!.session!.session_id;
    controller.submit('/new research');
    await pollUntil(() => client!.session?.session_id !== first, 'the new session');
    const second = client!.session!.session_id;
    expect(store.getState().session?.session_id).toBe(second);
    expect(text().at(-1)).toBe(`system: new session ${shortSessionId(second)} "research" (agent default)`);

    controller.submit('/sessions');
    await pollUntil(() => text().some((line) => line.includes('/switch <id>')), 'the list');
    const listed = text().filter(
      (line) => line.includes(shortSessionId(first)) || line.includes(shortSessionId(second)),
    );
    expect(
      listed.some((line) => line.startsWith(`system: * ${shortSessionId(second)}  "research" default`)),
    ).toBe(true);
    expect(listed.some((line) => line.startsWith(`system:   ${shortSessionId(first)}  default`))).toBe(true);

    controller.submit(`/switch ${shortSessionId(first)}`);
    await pollUntil(() => client!.session?.session_id === first, 'the switch');
    expect(text().at(-1)).toBe(`system: switched to session ${shortSessionId(first)}`);
    expect(stub!.framesOf('switch_session')[0]?.payload.session_id).toBe(first);

    controller.submit('/switch zzz');
    await pollUntil(() => text().at(-1)?.startsWith('error:') === true, 'the no-match error');
    expect(text().at(-1)).toBe('error: no session "zzz"; /sessions lists them');
  });

  it('/status, /cancelall, /help and mistyped commands', async () => {
    const { controller, text } = await setup();
    controller.submit('/status');
    await pollUntil(() => text().some((line) => line.includes('no turn running')), 'the status');
    expect(text()).toContain(`system: gateway ${stub!.url}: healthy`);
    controller.submit('/cancelall');
    await pollUntil(() => stub!.framesOf('cancel_all_active_turns').length === 1, 'cancel_all_active_turns');
    controller.submit('/help');
    expect(text()).toContain('system: commands:');
    expect(controller.submit('/frobnicate')).toBe(false);
    expect(text().at(-1)).toBe('error: unknown command /frobnicate; /help lists the commands');
    expect(stub!.invalid).toEqual([]);
  });
});
