/**
 * What a kernel holds without loading until first use (issue 32's "a small core"): the held
 * services' holder (loaded at the first `service(name)`) and the tool sources' holder (only when
 * there is a source). Loaded or not, the kernel answers the same. (The control stores a run does
 * not use load at their first call: control-store-async-view.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testKernel } from './helpers.js';

afterEach(closeAll);

describe('held services', () => {
  it('a kernel closed before any service was asked refuses one as a kernel that had opened one does', async () => {
    const unasked = await testKernel([], { memory: { enabled: false } });
    await unasked.kernel.close();
    await expect(unasked.kernel.service('tokens')).rejects.toThrow('the kernel is closed');
    await expect(unasked.kernel.services('tokens', 'budgets')).rejects.toThrow('the kernel is closed');

    const asked = await testKernel([], { memory: { enabled: false } });
    expect(await (await asked.kernel.service('tokens')).list()).toEqual([]);
    await asked.kernel.close();
    await expect(asked.kernel.service('tokens')).rejects.toThrow('the kernel is closed');
  });

  it('a service asked while the kernel closes is opened and closed with it', async () => {
    const { kernel } = await testKernel([], { memory: { enabled: false } });
    const asking = kernel.service('budgets');
    await kernel.close();
    // Either it opened before the close took the holder, or it was refused: never left open.
    const outcome = await asking.then(
      () => 'opened',
      (error: Error) => error.message,
    );
    expect(['opened', 'the kernel is closed']).toContain(outcome);
  });

  it('without a tool source the kernel reports none', async () => {
    const { kernel } = await testKernel([], { memory: { enabled: false } });
    expect(kernel.toolSourceHealth()).toEqual([]);
    expect(kernel.toolSourceTools()).toEqual([]);
  });
});
