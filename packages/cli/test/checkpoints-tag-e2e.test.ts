/**
 * `oxydra checkpoints tag` through the real binary: before any checkpoint exists, and with a
 * checkpoint that does not exist, it is a usage error (exit 2) that says what to do, as `diff`
 * and `restore` say for theirs. Before, both printed the store's internal error as "this looks
 * like a bug in Oxydra" with exit 1 (the first naming `refs/heads/checkpoints`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

let env: AgentEnv;

beforeAll(async () => {
  env = await AgentEnv.start(E2E_APIS[0]!, [
    { reply: { toolCalls: [{ name: 'file_write', arguments: { path: 'a.txt', content: 'a\n' } }] } },
    { reply: { text: 'done' }, times: 'always' },
  ]);
}, 60_000);
afterAll(() => env.close());

describe('oxydra checkpoints tag', () => {
  it('says there is nothing to tag yet, then tags the newest checkpoint once a run took one', async () => {
    const empty = await env.run(['checkpoints', 'tag', 'v1']);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('there is no checkpoint to tag yet');
    expect(empty.stderr).not.toContain('bug in Oxydra');
    expect(empty.stderr).not.toContain('refs/heads');

    expect((await env.run(['run', 'write a file'])).status).toBe(0);
    const missing = await env.run(['checkpoints', 'tag', 'v1', 'nosuchref']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no checkpoint "nosuchref"');
    expect(missing.stderr).toContain('oxydra checkpoints list');

    const tagged = await env.run(['checkpoints', 'tag', 'v1']);
    expect(tagged.status).toBe(0);
    expect(tagged.stdout).toMatch(/^tagged [0-9a-f]{12} as v1\n$/);
    const listed = await env.run(['checkpoints', 'diff', 'v1', '--stat']);
    expect(listed.status).toBe(0);
  });
});
