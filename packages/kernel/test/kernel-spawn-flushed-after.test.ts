/**
 * SpawnSpec.flushedAfter: a caller that commits a flushed write after the run (a gateway turn of
 * a deployment) has the session's messages appended relaxed; every other run's wait for the
 * disk, as before. Real kernel on the test's store (libSQL, or PostgreSQL in the store matrix).
 */
import type { Message, StateWriteOptions } from '@oxydra/types';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeAll, testKernel } from './helpers.js';

afterEach(closeAll);

describe('SpawnSpec.flushedAfter', () => {
  it("appends the turn's messages relaxed only when the caller flushes after the run", async () => {
    const { kernel } = await testKernel([{ reply: { text: 'noted' }, times: 'always' }]);
    const sessions = kernel.sessions!;
    const appends: { messages: readonly Message[]; options: StateWriteOptions | undefined }[] = [];
    const original = sessions.appendTurn.bind(sessions);
    vi.spyOn(sessions, 'appendTurn').mockImplementation(async (id, messages, options) => {
      appends.push({ messages, options });
      return original(id, messages, options);
    });

    const relaxed = await kernel.agents.spawn({
      prompt: 'one',
      sessionId: 's',
      userId: 'u',
      flushedAfter: true,
    }).result;
    expect(relaxed.status).toBe('completed');
    expect(appends.map((append) => append.options?.relaxed)).toEqual([true, true]);

    appends.length = 0;
    const flushed = await kernel.agents.spawn({ prompt: 'two', sessionId: 's', userId: 'u' }).result;
    expect(flushed.status).toBe('completed');
    expect(appends.map((append) => append.options?.relaxed ?? false)).toEqual([false, false]);
    // Both turns are stored, in order, whichever way they were committed.
    expect((await sessions.loadMessages('s')).map((message) => message.content)).toEqual([
      'one',
      'noted',
      'two',
      'noted',
    ]);
  });
});
