/**
 * The scheduler and chat turns share the kernel's one per-user limit ([gateway]
 * max_concurrent_turns_per_user): a scheduled run of a user at the limit waits for a slot (it is
 * not skipped), and a scheduler stopping meanwhile records it as interrupted.
 */
import { handClock } from '@oxydra/testkit';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import type { Admission, Kernel } from '../src/index.js';
import { closeAll, testKernel } from './helpers.js';

afterEach(closeAll);

const ONE_AT_A_TIME = { scheduler: { enabled: true }, gateway: { max_concurrent_turns_per_user: 1 } };
const alice = { userId: 'alice' };

describe('scheduled runs under the per-user limit', () => {
  it("waits while the user's chat turn holds the only slot, then runs", async () => {
    const { kernel, mock, admission } = await aliceWithASchedule();
    const { chat, done } = await runBehindAChatTurn(kernel, admission);
    expect(mock.requests).toHaveLength(0); // no model call while it waits
    // Another chat turn of alice queues behind the scheduled run (one FIFO for both).
    let modelCallsBeforeChat: number | undefined;
    const second = admission.acquire(alice, new AbortController().signal).then((release) => {
      modelCallsBeforeChat = mock.requests.length;
      return release;
    });
    chat();
    const run = await done;
    expect(run).toMatchObject({ status: 'completed', output: 'report' });
    (await second)();
    // The chat turn got its slot only once the scheduled run had called the model and ended.
    expect(modelCallsBeforeChat).toBe(1);
    expect(admission.running(alice)).toBe(0);
    // Another user was never held up by alice's runs.
    expect('release' in (await admission.tryAcquire({ userId: 'bob' }))).toBe(true);
  });

  it('a run still waiting when the scheduler stops is recorded as interrupted, and leaves the queue', async () => {
    const { kernel, mock, admission } = await aliceWithASchedule();
    const { chat, done } = await runBehindAChatTurn(kernel, admission);
    await (await kernel.service('scheduler')).stop();
    expect(await done).toMatchObject({ status: 'interrupted' });
    expect(admission.waiting(alice)).toBe(0);
    expect(mock.requests).toHaveLength(0);
    chat();
    expect(admission.running(alice)).toBe(0);
  });
});

/** A kernel that lets a user run one agent at a time, and a daily schedule of alice's. */
async function aliceWithASchedule() {
  const made = await testKernel([{ reply: { text: 'report' }, times: 'always' }], ONE_AT_A_TIME, {
    clock: handClock(),
  });
  await (await made.kernel.service('scheduler')).schedule(
    { name: 'daily', prompt: 'write the report', every: '1d' },
    { actor: 'test' },
    'alice',
  );
  // The kernel's one limit, as every door and the scheduler take it.
  return { ...made, admission: await made.kernel.service('admission') };
}

/** Alice's chat turn takes her only slot (what session-turn.ts does), then her schedule runs now: it waits. */
async function runBehindAChatTurn(kernel: Kernel, admission: Admission) {
  const chat = await admission.acquire(alice, new AbortController().signal);
  const { done } = await (await kernel.service('scheduler')).runNow('daily', { actor: 'test' });
  await pollUntil(() => admission.waiting(alice) === 1, 'the scheduled run to wait for a slot');
  return { chat, done };
}
