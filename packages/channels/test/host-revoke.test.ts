/**
 * A revoked pairing stops its sender's running turn: the real channel host on a real kernel whose
 * model (the testkit's scripted provider) streams a word and then holds until its call is
 * aborted, the real channel store, and `unpair` as `oxydra channels pair --revoke` does it from
 * another process. A listed sender's turn running beside it is not touched.
 */
import { join } from 'node:path';
import { ChannelHost, openChannelStore, SenderPolicy } from '@oxydra/channels';
import { type Kernel, openKernel } from '@oxydra/kernel';
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

it('a pairing revoked while its sender is answered stops that turn, with a note saying why', async () => {
  const scratch = tempWorkspace({ prefix: 'oxydra-channel-revoke-' });
  const dir = scratch.dir;
  cleanups.push(async () => scratch.cleanup());
  const model = scriptedProvider(held);
  const kernel: Kernel = await openKernel({ workspace: dir, ...scriptedKernelOptions(model) });
  cleanups.push(() => kernel.close());
  const store = openChannelStore(join(dir, 'channels.db'));
  cleanups.push(() => store.close());
  const channel = new ScriptedChannel();
  const log: string[] = [];
  const host = new ChannelHost({
    kernel: await hostKernelOf(kernel),
    userSlots: await kernel.service('admission'),
    channel,
    store,
    senders: new SenderPolicy('telegram', [{ platform_ids: [ALICE], user: 'alice' }], () => {}, 'pair'),
    log: (line) => log.push(line),
  });
  await host.start();
  cleanups.push(() => host.close(0));

  await store.pair('telegram', { senderId: PAIRED, userId: 'mallory' }, new Date().toISOString());
  channel.push(direct(PAIRED, 'a long job', '1'));
  channel.push(direct(ALICE, 'my own long job', '2'));
  await pollUntil(() => model.calls.length === 2, 'both turns asking the model');
  const placeholderOf = (chat: string) => channel.sent.find((m) => m.chatId === chat)!;
  await pollUntil(() => placeholderOf(PAIRED).text.startsWith('working'), 'the paired turn streaming');
  const callOf = (who: string) => model.calls.find((c) => whose(c) === who)!;
  const whose = (call: ScriptedCall) =>
    JSON.stringify(call.context.messages).includes('my own long job') ? ALICE : PAIRED;

  // The owner revokes from another process (`oxydra channels pair --revoke telegram 78`).
  await store.unpair('telegram', PAIRED);
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
  // Alice is listed in the configuration: her turn, checked in the same pass, runs on.
  expect(callOf(ALICE).signal.aborted).toBe(false);
  expect(placeholderOf(ALICE).text).toBe('working …');
});
