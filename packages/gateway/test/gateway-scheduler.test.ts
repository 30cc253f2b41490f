/**
 * The scheduler inside the gateway, on an injected clock: an agent creates a schedule with its
 * tool during a WebSocket turn; when it comes due the run is recorded with its cost and the
 * user's connected clients get a scheduled_notification frame (another user's do not);
 * failures in a row raise an alert and then pause the schedule, which the frame says.
 */

import { handClock } from '@oxydra/testkit';
import { type ModelEvent, ProviderError } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { helloClient } from './hello-client.js';
import { ScriptedModel, startTestGateway, type TestGateway, TOKEN, toolCallReply } from './helpers.js';

let env: TestGateway | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

async function* answer(text: string): AsyncGenerator<ModelEvent> {
  yield { type: 'text_delta', text };
  yield { type: 'usage', usage: { inputTokens: 20_000, outputTokens: 500 } };
  yield { type: 'finish', reason: 'stop' };
}

describe('scheduler in the gateway', () => {
  it("an agent's schedule fires: recorded with its cost, announced to its user's clients only", async () => {
    const model = new ScriptedModel(async function* (call) {
      const asked = call.messages.some(
        (m) => m.role === 'user' && JSON.stringify(m.content).includes('every morning'),
      );
      if (asked) {
        const done = call.messages.some((m) => m.role === 'tool');
        if (!done) {
          yield* toolCallReply('c1', 'schedule_create', {
            name: 'digest',
            prompt: 'Summarize the news.',
            cron: '0 9 * * *',
            timezone: 'Europe/Paris',
          });
          return;
        }
        yield* answer('Scheduled.');
        return;
      }
      yield* answer(call.prompt.includes('Summarize the news') ? 'Nothing new today.' : 'hi');
    });
    const clock = handClock();
    env = await startTestGateway({ model, config: { scheduler: { enabled: true } } }, undefined, { clock });
    const alice = await helloClient(env.wsUrl, { user_id: 'alice' }, TOKEN);
    const bob = await helloClient(env.wsUrl, { user_id: 'bob' }, TOKEN);
    alice.client.send('send_turn', {
      session_id: alice.ack.session.session_id,
      turn_id: 't1',
      prompt: 'Give me a digest every morning',
    });
    expect((await alice.inbox.take('turn_completed')).payload.response.message).toBe('Scheduled.');
    const [schedule] = await (await env.kernel.service('scheduler')).list({ userId: 'alice' });
    // 09:00 in Paris is 08:00 UTC; the clock is at 08:00 UTC on the 23rd: next is the 24th.
    expect(schedule).toMatchObject({ name: 'digest', nextRunAt: Date.parse('2026-11-24T08:00:00Z') });

    clock.advance(24 * 3600_000);
    expect(await (await env.kernel.service('scheduler')).tick()).toHaveLength(1);
    const frame = await alice.inbox.take('scheduled_notification');
    expect(frame.payload).toMatchObject({
      schedule_id: schedule!.id,
      schedule_name: 'digest',
      message: 'Nothing new today.',
      status: 'completed',
      alert: false,
      paused: false,
    });
    expect(frame.payload.cost_usd).toBeGreaterThan(0);
    const [run] = await (await env.kernel.service('scheduler')).history(schedule!.id);
    expect(run).toMatchObject({
      status: 'completed',
      costUsd: frame.payload.cost_usd,
      sessionId: frame.payload.session_id,
    });
    expect(bob.inbox.frames.some((f) => f.type === 'scheduled_notification')).toBe(false);
    alice.client.close();
    bob.client.close();
  });

  it('failures alert and then pause the schedule, and the frame says so', async () => {
    const model = new ScriptedModel(async function* () {
      yield { type: 'text_delta', text: '' };
      throw new ProviderError('upstream down', { kind: 'auth', provider: 'openai', status: 401 });
    });
    const clock = handClock();
    env = await startTestGateway(
      {
        model,
        config: { scheduler: { enabled: true, auto_disable_after_failures: 2, notify_after_failures: 1 } },
      },
      undefined,
      { clock },
    );
    await (await env.kernel.service('scheduler')).schedule(
      { name: 'flaky', prompt: 'try', every: '1h' },
      { actor: 'test' },
      'default',
    );
    const { client, inbox } = await helloClient(env.wsUrl, {}, TOKEN);
    for (let i = 0; i < 2; i++) {
      clock.advance(3600_000);
      await (await env.kernel.service('scheduler')).tick();
      await (await env.kernel.service('scheduler')).idle();
    }
    const first = await inbox.take('scheduled_notification');
    const second = await inbox.take('scheduled_notification');
    expect(first.payload).toMatchObject({ status: 'failed', alert: true, paused: false });
    expect(second.payload).toMatchObject({ status: 'failed', alert: true, paused: true });
    expect(second.payload.message).toMatch(/"flaky" failed: .*paused/);
    expect((await (await env.kernel.service('scheduler')).get('flaky')).enabled).toBe(false);
    client.close();
  });
});
