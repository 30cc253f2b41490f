/**
 * KernelOptions.stores: a store passed in replaces the embedded default, and the kernel's system
 * calls go to it. Here a libSQL StateStore on a file of the test's own, with the kernel's memory
 * off, so nothing could have reached the default store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemory } from '@oxydra/memory';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testKernel } from './helpers.js';

afterEach(closeAll);

describe('kernel stores passed in', () => {
  it('keeps kernel.state in the StateStore a host passes, even with memory off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oxydra-kernel-stores-'));
    const own = await openMemory({ path: join(dir, 'own.db') });
    try {
      const { kernel } = await testKernel(
        [],
        { memory: { enabled: false } },
        { stores: { state: own.state } },
      );
      expect(await kernel.state.save('host', 'cursor', { at: 42 })).toEqual({ version: 1 });
      expect(await own.state.load('host', 'cursor')).toMatchObject({ value: { at: 42 }, version: 1 });
      await own.state.save('host', 'cursor', { at: 43 });
      expect((await kernel.state.load('host', 'cursor'))?.value).toEqual({ at: 43 });
      expect((await kernel.state.list('host')).map((entry) => entry.name)).toEqual(['cursor']);
    } finally {
      await closeAll();
      await own.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
