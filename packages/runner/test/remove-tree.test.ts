/**
 * Removing a folder a guest is still changing (a container's rw mount, the runner stopping or
 * starting it): a stand-in guest keeps swapping a subfolder for a link to a host folder while
 * the folder is removed, many times over; the host folder's file must survive every time.
 * Node's recursive rm lost it in 1-3% of tries with a shell loop as the guest (a race, so not
 * certain in any one run); removeGuestTree never follows the link.
 *
 * The guest is one worker thread for the whole test, swapping with plain system calls: a shell
 * loop forked four programs a swap, and 200 trials of it took over 30 s on a loaded CI machine.
 */
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeGuestTree } from '../src/remove-tree.js';

let tmp: TempWorkspace;
beforeEach(() => {
  tmp = tempWorkspace({ prefix: 'oxydra-remove-tree-' });
});
afterEach(() => tmp.cleanup());

/** The one shared slot: the folder index the guest swaps in (-1 idle, -2 stop). */
/**
 * Folders removed while the guest swaps, and files in each. Creating files is most of the test's
 * time (~0.7 ms each on CI's disk): with Node's recursive rm, 100 of 10 lost the host file 2-8
 * times in each of three runs here, as 200 of 50 did (4-91), in a tenth of the time.
 */
const TRIALS = 100;
const FILES = 10;
const IDLE = -1;
const STOP = -2;

/**
 * The guest: while slot 0 holds a trial's index, swaps `<root>/guest-<index>/sub` for a link to
 * `host` and back; posts each new value it sees, so the test knows it stopped.
 */
const GUEST = `
const { renameSync, symlinkSync, unlinkSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const state = new Int32Array(workerData.state);
let seen;
for (;;) {
  const trial = Atomics.load(state, 0);
  if (seen !== trial) { seen = trial; parentPort.postMessage(trial); }
  if (trial === ${STOP}) break;
  if (trial === ${IDLE}) { Atomics.wait(state, 0, ${IDLE}); continue; }
  const dir = workerData.root + '/guest-' + trial;
  // Each state is held about as long as a shell's fork of mv, ln or rm held it.
  const hold = () => Atomics.wait(state, 0, trial, 0.5);
  try { renameSync(dir + '/sub', dir + '/old'); } catch { hold(); continue; }
  try { symlinkSync(workerData.host, dir + '/sub'); hold(); unlinkSync(dir + '/sub'); } catch {}
  try { renameSync(dir + '/old', dir + '/sub'); hold(); } catch {}
}
`;

/** Sets the slot and waits until the guest has seen it. */
async function tell(guest: Worker, state: Int32Array, value: number): Promise<void> {
  const seen = new Promise<void>((resolve) => {
    const onMessage = (message: number) => {
      if (message !== value) return;
      guest.off('message', onMessage);
      resolve();
    };
    guest.on('message', onMessage);
  });
  Atomics.store(state, 0, value);
  Atomics.notify(state, 0);
  await seen;
}

describe('removeGuestTree', () => {
  // A timeout of its own: a hundred removals, each a process, on a machine the suite loads.
  it('never deletes through a link the guest swaps in during the removal', { timeout: 120_000 }, async () => {
    const host = tmp.path('host');
    mkdirSync(host);
    const state = new Int32Array(new SharedArrayBuffer(4));
    state[0] = IDLE;
    const guest = new Worker(GUEST, { eval: true, workerData: { state: state.buffer, root: tmp.dir, host } });
    let lost = 0;
    try {
      // poll-ok: each trial gives the guest a head start, so the removal races its swaps.
      for (let trial = 0; trial < TRIALS; trial += 1) {
        writeFileSync(join(host, 'canary'), 'host file\n');
        const dir = tmp.path(`guest-${trial}`);
        mkdirSync(join(dir, 'sub'), { recursive: true });
        for (let i = 0; i < FILES; i += 1) writeFileSync(join(dir, 'sub', `f${i}`), '');
        writeFileSync(join(dir, 'sub', 'canary'), '');
        await tell(guest, state, trial);
        await sleep(2);
        await removeGuestTree(dir);
        await tell(guest, state, IDLE);
        if (!existsSync(join(host, 'canary'))) lost += 1;
      }
    } finally {
      await tell(guest, state, STOP);
      await guest.terminate();
    }
    expect(lost).toBe(0);
  });

  it('removes a link at the top itself, not what it names', async () => {
    const host = tmp.path('host');
    mkdirSync(host);
    writeFileSync(join(host, 'file'), 'host file\n');
    symlinkSync(host, tmp.path('link'));
    await removeGuestTree(tmp.path('link'));
    expect(existsSync(tmp.path('link'))).toBe(false);
    expect(existsSync(join(host, 'file'))).toBe(true);
  });
});
