/**
 * The channel's slots and a user's, taken together for a turn (turn-slots.ts), on the kernel's
 * real admission service: a turn whose user is at the limit gives its channel slot to a turn
 * that can run, then goes ahead of the round-robin once it has its user's slot; a wait ended by
 * /stop leaves nothing held. The host's side is host-fairness.test.ts.
 */
import { Admission } from '@oxydra/kernel';
import { expect, it } from 'vitest';
import { ChannelSlots, takeTurnSlots } from '../src/turn-slots.js';

/** Lets every pending grant run (promise callbacks only; no timers). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A turn taking its slots, and whether it has them yet. */
function turn(slots: ChannelSlots, users: Admission, userId: string, signal = new AbortController().signal) {
  const taken = takeTurnSlots(slots, users, userId, signal);
  const state = { has: false, taken };
  void taken.then(
    () => {
      state.has = true;
    },
    () => {},
  );
  return state;
}

async function end(t: { taken: ReturnType<typeof takeTurnSlots> }) {
  const { user, channel } = await t.taken;
  await user();
  channel();
}

it("a turn at its user's limit holds no channel slot, and once it has its user's slot goes before the round-robin", async () => {
  const slots = new ChannelSlots(1);
  const users = new Admission(1);
  const bob1 = turn(slots, users, 'bob');
  await settle();
  // Alice's one slot is held by a run of another door (a gateway turn, a schedule).
  const elsewhere = await users.acquire({ userId: 'alice' }, new AbortController().signal);
  const alice = turn(slots, users, 'alice');
  const bob2 = turn(slots, users, 'bob');
  await settle();
  expect([bob1.has, alice.has, bob2.has]).toEqual([true, false, false]);
  // Alice (never served) is next, but her user is at the limit: the slot goes on to Bob's turn.
  await end(bob1);
  await settle();
  expect([alice.has, bob2.has]).toEqual([false, true]);
  expect(users.waiting({ userId: 'alice' })).toBe(1);
  // Alice's slot comes free: her turn holds it and goes before Carol's, who waits in the round-robin.
  const carol = turn(slots, users, 'carol');
  await elsewhere();
  await settle();
  expect(users.running({ userId: 'alice' })).toBe(1);
  await end(bob2);
  await settle();
  expect([alice.has, carol.has]).toEqual([true, false]);
  await end(alice);
  await settle();
  expect(carol.has).toBe(true);
  await end(carol);
});

it('a wait ended by /stop leaves no slot held, on the channel or the user', async () => {
  const slots = new ChannelSlots(1);
  const users = new Admission(1);
  const first = turn(slots, users, 'alice');
  await settle();
  const stop = new AbortController();
  const stopped = turn(slots, users, 'alice', stop.signal);
  const bob = turn(slots, users, 'bob');
  stop.abort(new Error('stopped'));
  await expect(stopped.taken).rejects.toThrow('stopped');
  await end(first);
  await settle();
  expect(bob.has).toBe(true);
  expect(users.running({ userId: 'alice' })).toBe(0);
  await end(bob);
  // Every slot back: a new turn has both at once.
  const again = turn(slots, users, 'alice');
  await settle();
  expect(again.has).toBe(true);
});
