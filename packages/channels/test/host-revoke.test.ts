/**
 * A revoked pairing stops its sender's running turn: the real channel host on a real kernel whose
 * model (the testkit's scripted provider) streams a word and then holds until its call is
 * aborted, the real channel store, and `unpair` as `oxydra channels pair --revoke` does it from
 * another process. A listed sender's turn running beside it is not touched. The turn is stopped
 * on the store's word (in this process) or on a write to its file (another connection), not at
 * the host's periodic re-read: on the clock these tests give the host, that never comes.
 */
import { join } from 'node:path';
import { ChannelHost, openChannelStore, SenderPolicy } from '@oxydra/channels';
import { openKernel } from '@oxydra/kernel';
import type { Clock } from '@oxydra/runtime';
import { type ScriptedCall, scriptedProvider } from '@oxydra/testkit';
import { pollUntil, scriptedKernelOptions, tempWorkspace } from '@oxydra/testkit/helpers';
import type { ModelEvent } from '@oxydra/types';
import { afterEach, expect, it } from 'vitest';
import { hostKernelOf } from '../src/host-options.js';
import { REVOKED_NOTE } from '../src/running-turns.js';
import { ALICE, direct, ScriptedChannel } from './host-harness.js';

const PAIRED = '78';
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Streams "working", then holds until the run is stopped (the call's signal). */
async function* held(call: ScriptedCall): AsyncIterable<ModelEvent> {
  yield { type: 'text_delta', text: 'working' };
  await new Promise<void>((resolve) => {
    if (call.signal.aborted) resolve();
    call.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  throw call.signal.reason ?? new Error('aborted');
}

/**
 * The host's clock with no timer of OUTBOX_CHECK_MS (2 s) or more: its periodic re-read of the
 * pairings (the fallback) never comes, so only a prompt word of the revocation can stop a turn.
 * Shorter timers (the streaming edits') run as usual.
 */
const noFallback: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => (ms >= 2000 ? undefined : setTimeout(callback, ms)),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};

/** A host answering a paired sender (PAIRED, as "mallory") and a listed one (ALICE), both turns held running. */
async function twoRunningTurns(timer?: Clock) {
  const scratch = tempWorkspace({ prefix: 'oxydra-channel-revoke-' });
  const dir = scratch.dir;
  cleanups.push(async () => scratch.cleanup());
  const model = scriptedProvider(held);
  const { kernel, owner } = await openKernel(
    { workspace: dir, ...scriptedKernelOptions(model) },
    { ownerGrant: true },
  );
  cleanups.push(() => kernel.close());
  const path = join(dir, 'channels.db');
  const store = openChannelStore(path);
  cleanups.push(() => store.close());
  const channel = new ScriptedChannel();
  const log: string[] = [];
  const host = new ChannelHost({
    kernel: await hostKernelOf(kernel, owner),
    userSlots: await kernel.service('admission'),
    channel,
    store,
    senders: new SenderPolicy('telegram', [{ platform_ids: [ALICE], user: 'alice' }], () => {}, 'pair'),
    log: (line) => log.push(line),
    ...(timer ? { timer } : {}),
  });
  await host.start();
  cleanups.push(() => host.close(0));

  await store.pair('telegram', { senderId: PAIRED, userId: 'mallory' }, new Date().toISOString());
  channel.push(direct(PAIRED, 'a long job', '1'));
  channel.push(direct(ALICE, 'my own long job', '2'));
  await pollUntil(() => model.calls.length === 2, 'both turns asking the model');
  const placeholderOf = (chat: string) => channel.sent.find((m) => m.chatId === chat)!;
  await pollUntil(() => placeholderOf(PAIRED).text.startsWith('working'), 'the paired turn streaming');
  const whose = (call: ScriptedCall) =>
    JSON.stringify(call.context.messages).includes('my own long job') ? ALICE : PAIRED;
  const callOf = (who: string) => model.calls.find((c) => whose(c) === who)!;
  return { path, store, channel, log, placeholderOf, callOf };
}

type Running = Awaited<ReturnType<typeof twoRunningTurns>>;

/** The revoked turn ended as stopped, saying why, and nothing else reached its sender; Alice's runs on. */
async function expectStopped({ store, channel, log, placeholderOf, callOf }: Running) {
  await pollUntil(
    () => placeholderOf(PAIRED).text === `working\n\n(${REVOKED_NOTE})`,
    'the revoked turn stopped, its message saying why',
  );
  expect(callOf(PAIRED).signal.aborted).toBe(true);
  expect(
    log.some((line) => line.includes(`running turn of sender ${PAIRED}: no longer let in as mallory`)),
  ).toBe(true);
  const stats = await store.stats('telegram');
  expect(stats.inbound.stopped).toBe(1);
  // Only the placeholder, edited: no second message to the revoked sender.
  expect(channel.sent.filter((m) => m.chatId === PAIRED)).toHaveLength(1);
  // Alice is listed in the configuration: her turn, checked in the same pass, runs on.
  expect(callOf(ALICE).signal.aborted).toBe(false);
  expect(placeholderOf(ALICE).text).toBe('working …');
}

it('a pairing revoked while its sender is answered stops that turn, with a note saying why', async () => {
  const running = await twoRunningTurns();
  await running.store.unpair('telegram', PAIRED);
  await expectStopped(running);
});

it("a revocation in this process stops the turn on the store's word, not at the periodic re-read", async () => {
  const running = await twoRunningTurns(noFallback);
  await running.store.unpair('telegram', PAIRED);
  await expectStopped(running);
});

it('a revocation by another process (another connection to the file) stops the turn on its write', async () => {
  const running = await twoRunningTurns(noFallback);
  // `oxydra channels pair --revoke telegram 78`: its own connection, none of this store's events.
  const other = openChannelStore(running.path);
  try {
    expect(await other.unpair('telegram', PAIRED)).toBe(true);
  } finally {
    await other.close();
  }
  await expectStopped(running);
});
