/**
 * Approvals in the TUI, against the real gateway on a real kernel (a scripted model asking for
 * shell_exec under approval = "ask"): the client says "approvals" in hello, the question shows in
 * the input box's title, a typed "y" allows and anything else denies, Ctrl+C at the question
 * denies without quitting, and the outcome is a line in the history.
 */

import {
  type ModelCall,
  startTestGateway,
  type TestGateway,
  TOKEN,
  toolCallReply,
} from '@oxydra/gateway/testing/helpers';
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

async function setup() {
  env = await startTestGateway({ config: { tools: { approval: 'ask' } } });
  env.model.script = async function* (call: ModelCall) {
    const last = call.messages.at(-1);
    if (last?.role !== 'tool') {
      yield* toolCallReply(`c${call.prompt}`, 'shell_exec', { command: 'echo approved-$((40+2))' });
      return;
    }
    yield {
      type: 'text_delta',
      text: `tool said: ${last.content.includes('approved-42') ? 'it ran' : 'refused'}`,
    };
    yield { type: 'finish', reason: 'stop' };
  };
  client = newTuiClient({ url: env.wsUrl, token: TOKEN, healthIntervalMs: 60_000 });
  const store = new ViewStore();
  client.subscribe(store.dispatch);
  await client.connect();
  let exits = 0;
  const controller = new TuiController({ client, store, exit: () => exits++ });
  const text = () => store.getState().entries.map((e) => `${e.kind}: ${e.text}`);
  return { store, controller, text, exits: () => exits };
}

describe('TUI approvals (real gateway)', () => {
  it('"y" allows: the command runs, the question leaves, the outcome is shown', async () => {
    const { store, controller, text } = await setup();
    controller.submit('run it');
    await pollUntil(() => store.getState().approvals.length === 1, 'the approval question');
    expect(store.getState().approvals[0]).toMatchObject({
      tool: 'shell_exec',
      summary: expect.stringContaining('echo approved'),
    });
    expect(controller.submit('y')).toBe(true);
    await pollUntil(() => !isBusy(store.getState()), 'the turn to finish');
    expect(store.getState().approvals).toEqual([]);
    expect(text()).toContain('system: shell_exec approved');
    expect(text().at(-1)).toBe('assistant: tool said: it ran');
  });

  it('anything else denies, and Ctrl+C at the question denies without quitting', async () => {
    const { store, controller, text, exits } = await setup();
    controller.submit('first');
    await pollUntil(() => store.getState().approvals.length === 1, 'the first question');
    controller.submit('nope');
    await pollUntil(() => !isBusy(store.getState()), 'the first turn');
    expect(text()).toContain('system: shell_exec denied');
    expect(text().at(-1)).toBe('assistant: tool said: refused');

    controller.submit('second');
    await pollUntil(() => store.getState().approvals.length === 1, 'the second question');
    controller.interrupt();
    await pollUntil(() => !isBusy(store.getState()), 'the second turn');
    expect(exits()).toBe(0);
    expect(text().at(-1)).toBe('assistant: tool said: refused');
  });
});
