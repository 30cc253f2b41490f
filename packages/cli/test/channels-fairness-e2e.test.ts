/**
 * Channel turns shared fairly by kernel user, through the real binary (`oxydra channels run`),
 * the fake Telegram Bot API and the real channel store: one user ("alice") writing from ten
 * chats at once does not keep another ("bob") waiting behind all ten. With one channel slot,
 * the waiting turns are served round-robin across users (turn-slots.ts), so Bob, who wrote last,
 * is answered second; in one queue in arrival order he was answered eleventh.
 */
import { pollUntil } from '@oxydra/testkit/helpers';
import { expect, it } from 'vitest';
import { channelsRunPerTest, OWNER, sentTextOn } from './channels-telegram.js';

/** Alice's ten chats: the owner's and nine more of hers, each its own conversation. */
const ALICE_CHATS = [OWNER, ...Array.from({ length: 9 }, (_, i) => 5002 + i)];
const BOB = 6001;

const run = channelsRunPerTest();

it("one user's ten chats waiting do not keep another user's message behind all ten", async () => {
  const { api, env, running } = await run.start(
    [
      {
        match: { lastMessageContains: 'alice job' },
        times: 'always',
        reply: { text: 'Alice answer, slowly.', textChunks: 3 },
        // Each of Alice's turns holds the one slot for seconds: Bob's message comes while the first runs.
        fault: { slowChunksMs: 1500 },
      },
      { match: { lastMessageContains: 'bob job' }, reply: { text: 'Bob answer.' } },
    ],
    '\nmax_concurrent_turns = 1',
    `
[[channels.telegram.senders]]
platform_ids = [${ALICE_CHATS.slice(1)
      .map((id) => `"${id}"`)
      .join(', ')}]
user = "alice"

[[channels.telegram.senders]]
platform_ids = ["${BOB}"]
user = "bob"
`,
  );
  for (const [i, chat] of ALICE_CHATS.entries())
    api.message({ from: { id: chat }, text: `alice job ${i + 1}` });
  // Each turn shows its placeholder before it waits for the slot: all ten of Alice's are queued.
  await pollUntil(
    () => ALICE_CHATS.every((chat) => api.sent(chat).length === 1),
    "Alice's ten turns waiting",
    {
      timeoutMs: 20_000,
    },
  );
  api.message({ from: { id: BOB }, text: 'bob job' });
  await sentTextOn(() => api)(BOB, 'Bob answer.', "Bob's answer", running.stderr);
  const asked = env.mock.requests.map((r) => (JSON.stringify(r.body).includes('bob job') ? 'bob' : 'alice'));
  // Bob is the second the model is asked for, after the one turn of Alice's that was running
  // (her next may have started since his answer).
  expect(asked.slice(0, 2)).toEqual(['alice', 'bob']);
  // When Bob has his answer, Alice's later chats still show only their placeholder (her second
  // may be running): in arrival order, all ten were answered before him.
  expect(ALICE_CHATS.filter((chat) => api.sent(chat)[0]!.text === '…').length).toBeGreaterThanOrEqual(8);
}, 60_000);
