/**
 * `oxydra channels pair --revoke` (a process of its own) while the revoked sender's answer is
 * being written by `oxydra channels run` (the real binary, the fake Telegram Bot API, a model that
 * streams a word and then pauses): the running turn ends as stopped, its message saying why, and
 * nothing more reaches the sender; the store is left settled. The turn is stopped on the revoking
 * process's write to channels.db (a watch on its WAL), not at the host's periodic re-read; that
 * the periodic re-read is not what stops it is shown where the host's clock can be held
 * (packages/channels/test/host-revoke.test.ts).
 */
import { channelDbPath, openChannelStore } from '@oxydra/channels';
import { pollUntil } from '@oxydra/testkit/helpers';
import { expect, it } from 'vitest';
import { channelsRunPerTest, STRANGER } from './channels-telegram.js';

/** What the sender is shown at the end of the stopped answer (running-turns.ts). */
const REVOKED_NOTE = "stopped: this sender's access was revoked";

const run = channelsRunPerTest();

it("a pairing revoked by another process stops its sender's running turn: a note, then nothing", async () => {
  const { api, env, running } = await run.start(
    [
      {
        match: { lastMessageContains: 'a long job' },
        reply: { text: `Working ${'on it '.repeat(40)}done.`, textChunks: 40 },
        // About a minute of answer: the turn is still running when the pairing is revoked.
        fault: { slowChunksMs: 1500 },
      },
    ],
    '\nunknown_senders = "pair"',
  );
  // Paired as `oxydra channels pair <code> --user mallory` leaves it (the code flow: channels-telegram-modes-e2e).
  const store = openChannelStore(channelDbPath(env.workspace), { ...process.env, HOME: env.sandbox.home });
  try {
    await store.pair('telegram', { senderId: String(STRANGER), userId: 'mallory' }, new Date().toISOString());
    api.message({ from: { id: STRANGER }, text: 'a long job' });
    const answer = () => api.sent(STRANGER)[0];
    await pollUntil(() => answer()?.text.startsWith('Working'), 'the paired turn streaming', {
      timeoutMs: 20_000,
    });

    const revoke = await env.run(['channels', 'pair', '--revoke', 'telegram', String(STRANGER)]);
    expect(revoke.status, revoke.stderr).toBe(0);
    await pollUntil(
      () => answer()!.text.endsWith(`(${REVOKED_NOTE})`),
      'the revoked turn stopped, its message saying why',
      { timeoutMs: 20_000 },
    );
    expect(running.stderr()).toContain(
      `telegram: stopped the running turn of sender ${STRANGER}: no longer let in as mallory`,
    );
    // Settled in the store: the message stopped, nothing left to send.
    await pollUntil(async () => (await store.stats('telegram')).unsent === 0, 'the outbox sent');
    const stats = await store.stats('telegram');
    expect(stats.inbound).toEqual({ stopped: 1 });
  } finally {
    await store.close();
  }
  expect(await running.stop('SIGTERM')).toBe(0);
  // Through the stop of the process too: one message to the sender, its last edit the note.
  const sent = api.sent(STRANGER);
  expect(sent).toHaveLength(1);
  expect(sent[0]!.history.at(-1)).toBe(sent[0]!.text);
  expect(sent[0]!.text.startsWith('Working')).toBe(true);
  expect(env.mock.requests).toHaveLength(1);
}, 60_000);
