/**
 * A turn continuing a stored session by its full id reads the session once: its row comes with
 * its history's stamp (SessionStore.stamp `session`), and the user's lookup is asked only when
 * that row is not the user's. Real kernel on the test's store (libSQL, or PostgreSQL in the store
 * matrix).
 */

import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeAll, testKernel } from './helpers.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await closeAll();
});

describe('opening a continued session', () => {
  it('reads its row with the stamp, and no lookup or get of its own', async () => {
    const { kernel } = await testKernel([{ reply: { text: 'noted' }, times: 'always' }]);
    const sessions = kernel.sessions!;
    const first = await kernel.agents.spawn({ prompt: 'one', sessionId: 's', userId: 'u' }).result;
    expect(first.status).toBe('completed');

    const get = vi.spyOn(sessions, 'get');
    const lookup = vi.spyOn(sessions, 'lookup');
    const stamp = vi.spyOn(sessions, 'stamp');
    const next = await kernel.agents.spawn({ prompt: 'two', sessionId: 's', userId: 'u' }).result;
    expect(next.status).toBe('completed');
    expect(next.messages.map((message) => message.content)).toEqual(['one', 'noted', 'two', 'noted']);
    expect(get).not.toHaveBeenCalled();
    expect(lookup).not.toHaveBeenCalled();
    expect(stamp.mock.calls.filter(([, options]) => options?.session === true)).toHaveLength(1);
    expect(await sessions.stamp('s', { session: true })).toMatchObject({
      lastSeq: 4,
      session: { id: 's', userId: 'u' },
    });

    // Another user's session of that id is still refused (the lookup is asked, as before).
    const other = await kernel.agents.spawn({ prompt: 'three', sessionId: 's', userId: 'v' }).result;
    expect(other.status).toBe('failed');
    expect(lookup).toHaveBeenCalledWith('s', { userId: 'v' });
    expect(await sessions.countMessages('s')).toBe(4);
  });
});
