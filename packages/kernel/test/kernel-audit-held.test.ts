/**
 * The audit chain opens at its first use (issue 32 item 1; assemble/base.ts HeldAudit): a kernel
 * opened and closed without a spawn does not open it (a legacy `.oxydra/audit.jsonl` stays where
 * it is, unread, and no head file is written), and the first spawn writes the chain as a kernel
 * that opened it at once did: the legacy lines first, then the run's entries, in the order they
 * were made. Real kernel on the test's store (libSQL, or PostgreSQL in the store matrix).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, secondKernel, testKernel } from './helpers.js';

afterEach(closeAll);

const LEGACY_LINE = JSON.stringify({
  type: 'approval',
  at: '2026-01-01T00:00:00.000Z',
  tool: 'shell_exec',
  summary: 'ls',
  approved: true,
  by: 'user',
});

describe('the held audit chain', () => {
  it('is not opened by a kernel that runs nothing, and the first spawn writes it as before', async () => {
    const first = await testKernel(
      [
        { reply: { toolCalls: [{ name: 'file_read', arguments: { path: 'notes.md' } }] } },
        { reply: { text: 'read it' } },
      ],
      { memory: { enabled: false } },
    );
    const legacy = join(first.workspace, '.oxydra', 'audit.jsonl');
    const headFile = join(first.workspace, '.oxydra', 'audit-head.json');
    // As the old writer made it (only this user's own 0600 log is imported).
    writeFileSync(legacy, `${LEGACY_LINE}\n`, { mode: 0o600 });
    writeFileSync(join(first.workspace, 'notes.md'), 'a note\n');

    // Opened and closed with no spawn and no service asked: the chain was never opened.
    const idle = await secondKernel(first);
    await idle.close();
    expect(existsSync(legacy)).toBe(true);
    expect(existsSync(`${legacy}.imported`)).toBe(false);
    expect(existsSync(headFile)).toBe(false);

    // The first spawn opens it: the legacy line goes in first, then the run's entries in order.
    const result = await first.kernel.agents.spawn({ prompt: 'read notes.md', persist: false }).result;
    expect(result.status).toBe('completed');
    expect(result.auditHead).toMatchObject({ seq: 4, hash: expect.any(String) });
    expect(existsSync(legacy)).toBe(false);
    expect(existsSync(`${legacy}.imported`)).toBe(true);
    const audit = await first.kernel.service('audit');
    const entries = await audit.list({});
    expect(entries.map((entry) => [entry.seq, entry.action.type])).toEqual([
      [1, 'legacy_approval'],
      [2, 'agent_spawn'],
      [3, 'tool_call'],
      [4, 'tool_result'],
      [5, 'agent_exit'],
    ]);
    expect(entries[2]!.actor).toBe(`agent:${result.agentId}`);
    expect(await audit.verify()).toMatchObject({ ok: true, entries: 5 });
  });

  it('records what several first spawns did before it opened in the order they did it', async () => {
    const { kernel, workspace } = await testKernel([{ reply: { text: 'done' }, times: 'always' }], {
      memory: { enabled: false },
    });
    // Written after the kernel opened: a chain opened with the kernel would never read it.
    writeFileSync(join(workspace, '.oxydra', 'audit.jsonl'), `${LEGACY_LINE}\n`, { mode: 0o600 });
    const handles = [1, 2, 3].map((n) => kernel.agents.spawn({ prompt: `run ${n}`, persist: false }));
    const results = await Promise.all(handles.map((handle) => handle.result));
    expect(results.map((result) => result.status)).toEqual(['completed', 'completed', 'completed']);
    const audit = await kernel.service('audit');
    const entries = await audit.list({});
    expect(entries[0]!.action.type).toBe('legacy_approval');
    // Spawned before the chain opened: their entries wait, and go in in the order of the spawns.
    const spawns = entries.filter((entry) => entry.action.type === 'agent_spawn');
    expect(spawns.map((entry) => entry.actor)).toEqual(handles.map((handle) => `agent:${handle.id}`));
    expect(spawns.map((entry) => entry.seq)).toEqual([2, 3, 4]);
    expect(await audit.verify()).toMatchObject({ ok: true, entries: 7 });
  });

  it('fails the first turn, not the open, when the chain cannot open, and each turn after', async () => {
    const { kernel, workspace } = await testKernel([{ reply: { text: 'done' }, times: 'always' }], {
      memory: { enabled: false },
    });
    // A legacy log whose move aside fails once imported (a folder holds its new name).
    const legacy = join(workspace, '.oxydra', 'audit.jsonl');
    writeFileSync(legacy, `${LEGACY_LINE}\n`, { mode: 0o600 });
    mkdirSync(`${legacy}.imported`);
    writeFileSync(join(`${legacy}.imported`, 'kept'), 'x');
    for (const prompt of ['one', 'two']) {
      const result = await kernel.agents.spawn({ prompt, persist: false }).result;
      expect(result.status).toBe('failed');
      expect(result.error?.message).toMatch(/^the audit chain could not be opened: .*audit\.jsonl/);
    }
    await expect(kernel.service('audit')).rejects.toThrow(/the audit chain could not be opened/);
    await kernel.close();
  });
});
