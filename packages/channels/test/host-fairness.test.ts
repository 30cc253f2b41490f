/**
 * The channel's turn slots shared fairly (turn-slots.ts), through the real host with the
 * scripted platform and kernel (host-harness.ts; the kernel's own admission service holds each
 * user's limit): one user flooding many chats neither holds slots idle on their own limit nor
 * keeps another user waiting behind the whole flood, and one chat's messages still run in order.
 */
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterEach, expect, it } from 'vitest';
import { ALICE, BOB, direct, type ScriptedChannel, setup, teardown } from './host-harness.js';

afterEach(teardown);

/** Alice's message in a chat of its own (`chat`), so her chats run side by side. */
const inChat = (chat: string, text: string, id: string) =>
  direct(ALICE, text, id, { conversation: chat, chatId: chat });

/** The placeholders sent to these chats: each turn sends one before it waits for its slots. */
const placeholders = (channel: ScriptedChannel, chatIds: string[]) =>
  channel.sent.filter((m) => chatIds.includes(m.chatId)).length;

it("a user's flood over many chats holds no slot idle on their own limit: another user's turn starts before it drains", async () => {
  // Four channel slots; the scripted kernel lets each user one run at once.
  const { channel, kernel } = await setup('ignore', false, { maxConcurrentTurns: 4 });
  const chats = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
  for (const [i, chat] of chats.entries()) channel.push(inChat(chat, chat, String(i + 1)));
  await pollUntil(() => kernel.spawned.length === 1, "Alice's first turn");
  await pollUntil(() => placeholders(channel, chats) === chats.length, "every one of Alice's turns waiting");
  channel.push(direct(BOB, 'bob', '7'));
  // In one queue in arrival order, three of Alice's turns held the other slots waiting on her
  // own limit, and Bob waited behind all six of hers.
  await pollUntil(
    () => kernel.spawned.some((s) => s.prompt === 'bob'),
    "Bob's turn while Alice's flood waits",
  );
  expect(kernel.spawned.map((s) => s.prompt)).toEqual(['a1', 'bob']);
  // Alice's turns then run one at a time (her limit), each in turn.
  for (let n = 3; n <= 7; n++) {
    kernel.releaseAll();
    await pollUntil(() => kernel.spawned.length === n, `turn ${n}`);
  }
  expect(kernel.spawned.map((s) => s.prompt)).toEqual(['a1', 'bob', 'a2', 'a3', 'a4', 'a5', 'a6']);
  kernel.releaseAll();
  await pollUntil(() => channel.sent.some((m) => m.text === 'answer to a6'), 'the last answer');
});

it("waiting turns are served round-robin across users, and one chat's messages still run in order", async () => {
  const { channel, kernel } = await setup('ignore', false, { maxConcurrentTurns: 1 });
  // Alice's own limit well above the channel's: only the channel's slot holds her turns back.
  kernel.admission.setLimit(10);
  channel.push(inChat('a1', 'a1 first', '1'));
  channel.push(inChat('a2', 'a2', '2'));
  channel.push(inChat('a3', 'a3', '3'));
  channel.push(inChat('a1', 'a1 second', '4'));
  channel.push(inChat('a4', 'a4', '5'));
  await pollUntil(() => kernel.spawned.length === 1, "Alice's first turn");
  // The second message of chat a1 waits behind its first: four placeholders, not five.
  await pollUntil(() => placeholders(channel, ['a1', 'a2', 'a3', 'a4']) === 4, "Alice's turns waiting");
  channel.push(direct(BOB, 'bob', '6'));
  await pollUntil(() => placeholders(channel, [BOB]) === 1, "Bob's turn waiting");
  for (let n = 2; n <= 6; n++) {
    kernel.releaseAll();
    await pollUntil(() => kernel.spawned.length === n, `turn ${n}`);
  }
  // Bob, who came last, is served after one turn of Alice's (in arrival order, after all four);
  // a1's second message runs once its first is answered, behind Alice's turns already waiting.
  expect(kernel.spawned.map((s) => s.prompt)).toEqual(['a1 first', 'bob', 'a2', 'a3', 'a4', 'a1 second']);
  kernel.releaseAll();
  await pollUntil(() => channel.sent.some((m) => m.text === 'answer to a1 second'), 'the last answer');
});
