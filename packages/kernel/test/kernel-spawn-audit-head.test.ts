/**
 * SpawnSpec.auditHead false: a run without a session whose caller shows the chain's head to
 * nobody (a stateless gateway turn) ends without waiting for its audit entries' commit and names
 * no head; its entries are committed all the same. A run with a session still names one. Real
 * kernel on the test's store (libSQL, or PostgreSQL in the store matrix).
 */

import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuditChain } from '../src/services/audit/chain.js';
import { closeAll, testKernel } from './helpers.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await closeAll();
});

describe('SpawnSpec.auditHead', () => {
  it("ends a run that names no head without waiting for its entries' commit, and commits them", async () => {
    const { kernel } = await testKernel([{ reply: { text: 'noted' }, times: 'always' }]);
    // Waiting for the commit of the run's entries fails the anchor at once (the turn would then
    // name the head read back instead): a run that waits shows a head, or the spy's call.
    const committed = vi
      .spyOn(AuditChain.prototype, 'committed')
      .mockImplementation(() => Promise.reject(new Error('waited for the audit commit')));
    const unnamed = await kernel.agents.spawn({ prompt: 'one', persist: false, auditHead: false }).result;
    expect(unnamed.status).toBe('completed');
    expect(unnamed.auditHead).toBeUndefined();
    expect(committed).not.toHaveBeenCalled();

    // With a session the flag is ignored: its copy of the head must name one on disk.
    const withSession = await kernel.agents.spawn({ prompt: 'two', sessionId: 's', auditHead: false }).result;
    expect(withSession.status).toBe('completed');
    expect(committed).toHaveBeenCalled();
    committed.mockRestore();

    const named = await kernel.agents.spawn({ prompt: 'three', persist: false }).result;
    expect(named.auditHead).toMatchObject({ seq: expect.any(Number), hash: expect.any(String) });
    const audit = await kernel.service('audit');
    expect(await audit.list({ type: 'agent_spawn' })).toHaveLength(3);
    expect(await audit.verify()).toMatchObject({ ok: true });
  });
});
