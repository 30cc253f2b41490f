/**
 * What typed lines and Ctrl+C do, end to end through the real client and a real WebSocket to a
 * real gateway over a real kernel (the testkit's scripted model), observed in the view store the
 * Ink app draws and in what the model was asked and the kernel ran.
 */

import { Gate, heldScript, type Script, type TestGateway } from '@oxydra/gateway/testing/helpers';
import type { GatewayClient } from '@oxydra/gateway-client';
import { pollUntil } from '@oxydra/testkit/helpers';
import { shortSessionId } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { TuiController } from '../src/view/controller.js';
import { isBusy } from '../src/view/state.js';
import { ViewStore } from '../src/view/store.js';
import { realGateway } from './helpers.js';

let env: TestGateway | undefined;
let client: GatewayClient | undefined;
afterEach(async () => {
  await client?.close();
  await env?.cleanup();
  client = undefined;
  env = undefined;
});

async function setup(script?: Script) {
  ({ env, client } = await realGateway(script));
  const store = new ViewStore();
  client.subscribe(store.dispatch);
  await client.connect();
  const quits: string[] = [];
  const controller = new TuiController({ client, store, exit: (how) => quits.push(how) });
  const text = () => store.getState().entries.map((e) => `${e.kind}: ${e.text}`);
  return { store, controller, text, exits: () => quits.length, quits };
}

describe('TUI controller', () => {
  it('sends a prompt and shows the streamed reply and the session usage', async () => {
    const { store, controller, text } = await setup();
    expect(controller.submit('hello there')).toBe(true);
    await pollUntil(() => !isBusy(store.getState()), 'the turn to finish');
    expect(text()).toEqual(['user: hello there', 'assistant: echo: hello there']);
    expect(env!.model.calls.map((call) => call.prompt)).toEqual(['hello there']);
    expect(env!.spawns[0]?.sessionId).toBe(client!.session!.session_id);
    // echoScript's usage: 10 in, one output token per word ("echo:", "hello", "there").
    expect(store.getState().usage[client!.session!.session_id]).toMatchObject({
      inputTokens: 10,
      outputTokens: 3,
    });
  });

  it('refuses a second prompt while a turn runs, keeping it in the input', async () => {
    const { store, controller, text } = await setup(heldScript(new Gate()));
    controller.submit('first');
    await pollUntil(() => store.getState().turn !== undefined, 'the turn to start');
    expect(controller.submit('second')).toBe(false);
    expect(text().at(-1)).toBe(
      'error: a turn is still running; wait for it, or cancel it with Ctrl+C or /cancel',
    );
    expect(env!.spawns).toHaveLength(1);
  });

  it('Ctrl+C cancels the running turn, a second one quits; when idle it quits at once', async () => {
    const { store, controller, text, exits } = await setup(heldScript(new Gate()));
    controller.interrupt();
    expect(exits()).toBe(1);

    controller.submit('long job');
    await pollUntil(() => store.getState().turn !== undefined, 'the turn to start');
    controller.interrupt();
    expect(exits()).toBe(1);
    await pollUntil(() => !isBusy(store.getState()), 'the cancellation');
    expect(env!.spawns[0]?.killed).toBe(true);
    expect(text()).toContain('system: turn cancelled');

    controller.submit('another');
    await pollUntil(() => store.getState().turn !== undefined, 'the second turn to start');
    controller.interrupt();
    expect(exits()).toBe(1);
    // Before turn_cancelled comes back, a second Ctrl+C quits rather than asking again.
    controller.interrupt();
    expect(exits()).toBe(2);
    await pollUntil(() => env!.spawns[1]?.killed === true, "the second turn's cancel");
  });

  it('a quit by Ctrl+C says so (oxydra tui then exits 130); /exit is a plain quit', async () => {
    const { controller, quits } = await setup();
    controller.interrupt();
    controller.submit('/exit');
    expect(quits).toEqual(['interrupted', 'quit']);
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
    expect(store.getState().session?.session_id).toBe(first);

    controller.submit('/switch zzz');
    await pollUntil(() => text().at(-1)?.startsWith('error:') === true, 'the no-match error');
    expect(text().at(-1)).toBe('error: no session "zzz"; /sessions lists them');
  });

  it('/status, /cancelall, /help and mistyped commands', async () => {
    const { store, controller, text } = await setup(heldScript(new Gate()));
    controller.submit('/status');
    await pollUntil(() => text().some((line) => line.includes('no turn running')), 'the status');
    expect(text().some((line) => line.startsWith(`system: gateway ${env!.wsUrl}: healthy`))).toBe(true);
    controller.submit('long job');
    await pollUntil(() => env!.spawns.length === 1, 'the turn to run');
    controller.submit('/cancelall');
    await pollUntil(() => env!.spawns[0]?.killed === true, 'cancel_all_active_turns');
    await pollUntil(() => !isBusy(store.getState()), 'the cancellation to reach the view');
    controller.submit('/help');
    expect(text()).toContain('system: commands:');
    expect(controller.submit('/frobnicate')).toBe(false);
    expect(text().at(-1)).toBe('error: unknown command /frobnicate; /help lists the commands');
  });
});
