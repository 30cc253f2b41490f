/**
 * `oxydra trust --adopt-state` on a checkpoint store, through the real binary: the store was set
 * aside (its origin record made on another machine, so not under this user's key), and the user
 * moved it back and adopted it. Before, adopting wrote a new origin id, so the branch's record
 * (`oxydra-head`, MAC'd with the old id) failed and every checkpoint command stopped with "not
 * written by Oxydra for you"; the user's undo history was unusable. Now adopting records the
 * branch as it is under the user's key, and `checkpoints list` and `undo` work.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

let env: AgentEnv;

beforeAll(async () => {
  env = await AgentEnv.start(E2E_APIS[0]!, [
    { reply: { toolCalls: [{ name: 'file_write', arguments: { path: 'notes.md', content: 'agent\n' } }] } },
    { reply: { text: 'done' }, times: 'always' },
  ]);
}, 60_000);
afterAll(() => env.close());

describe('adopting a checkpoint store', () => {
  it('keeps its runs listed and undoable after `oxydra trust --adopt-state`', async () => {
    const workspace = env.workspace;
    writeFileSync(join(workspace, 'notes.md'), 'mine\n');
    expect((await env.run(['run', 'write notes'])).status).toBe(0);
    expect(readFileSync(join(workspace, 'notes.md'), 'utf8')).toBe('agent\n');
    const oxydra = join(workspace, '.oxydra');
    const store = join(oxydra, 'checkpoints.git');
    // Another machine's record: the next command sets the store aside.
    writeFileSync(
      join(store, 'oxydra-origin'),
      `${randomBytes(16).toString('hex')} ${randomBytes(32).toString('hex')}\n`,
    );
    const aside = await env.run(['checkpoints', 'list']);
    expect(aside.stderr).toMatch(/set aside .*checkpoints\.git.*oxydra trust --adopt-state/);
    const moved = readdirSync(oxydra).find((name) => name.startsWith('checkpoints.git.untrusted-'))!;
    rmSync(store, { recursive: true });
    renameSync(join(oxydra, moved), store);

    const adopt = await env.run(['trust', '--adopt-state', workspace]);
    expect(adopt.status, adopt.stderr).toBe(0);
    expect(adopt.stdout).toContain(`adopted ${store}`);
    // Before: exit 2, "oxydra-head not written by Oxydra for you", for both.
    const list = await env.run(['checkpoints', 'list']);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^r-[0-9a-f]+ .* run/m);
    const undo = await env.run(['undo']);
    expect(undo.status, undo.stderr).toBe(0);
    expect(readFileSync(join(workspace, 'notes.md'), 'utf8')).toBe('mine\n');
  });
});
