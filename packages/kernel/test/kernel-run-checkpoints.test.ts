/**
 * A run's checkpoints through a real kernel: a turn that only reads and talks creates nothing
 * (no shadow repository, no run), a turn that writes is bracketed by a before and an after
 * checkpoint at its first change, and undo puts its file back.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioStep } from '@oxydra/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, testKernel } from './helpers.js';

afterEach(closeAll);

const step = (index: number, reply: ScenarioStep['reply']): ScenarioStep => ({
  match: { callIndex: index },
  reply,
});

describe('run checkpoints in a kernel', () => {
  it('takes none for a turn that changes nothing, and brackets the turn that writes', async () => {
    const { kernel, workspace } = await testKernel([
      step(0, { toolCalls: [{ name: 'file_read', arguments: { path: 'notes.txt' } }] }),
      step(1, { text: 'it says one' }),
      step(2, { toolCalls: [{ name: 'file_write', arguments: { path: 'notes.txt', content: 'two\n' } }] }),
      step(3, { text: 'now it says two' }),
    ]);
    writeFileSync(join(workspace, 'notes.txt'), 'one\n');
    const read = await kernel.agents.spawn({ prompt: 'read notes.txt' }).result;
    expect(read.status).toBe('completed');
    expect(existsSync(join(workspace, '.oxydra', 'checkpoints.git'))).toBe(false);

    const wrote = await kernel.agents.spawn({ prompt: 'write two into notes.txt' }).result;
    expect(wrote.status).toBe('completed');
    const checkpoints = (await kernel.service('checkpoints'))!;
    const runs = await checkpoints.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ kind: 'run', agent: 'default', session: wrote.sessionId });
    expect(runs[0]!.after).toBeDefined();
    expect((await checkpoints.diff(runs[0]!.run)).map((change) => change.path)).toEqual(['notes.txt']);

    await checkpoints.undo({ actor: 'test' });
    expect(readFileSync(join(workspace, 'notes.txt'), 'utf8')).toBe('one\n');
  });
});
