/**
 * An embedding server that takes requests and never answers (an overloaded local server, a
 * proxy that hangs) must not hold a run: each embedding request waits `[memory]
 * embedding_timeout_secs` (default 60) for its answer, then recall and indexing go on without
 * it, warned. Before, only fetch's own 300 s bound applied: `oxydra run` printed its answer and
 * then waited five minutes to exit (its indexing), and the next run's recall held the turn as
 * long. The real binary, against the mock behind a relay that holds every embedding request.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type HoldingRelay, holdingRelay } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv } from './agent-env.js';

let env: AgentEnv | undefined;
let relay: HoldingRelay | undefined;
afterEach(async () => {
  relay?.close();
  await env?.close();
  env = undefined;
});

const never = new Promise<void>(() => {});

describe('an embedding server that never answers', () => {
  it('costs a run embedding_timeout_secs, not five minutes: the answer, then a warning, exit 0', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, [
      { reply: { text: 'hello from the local model' }, times: 'always' },
    ]);
    // --base-url is the configuration (the README's local-model command): no mock entry.
    rmSync(join(env.workspace, '.oxydra'), { recursive: true, force: true });
    relay = await holdingRelay(env.mock.url, (path) => (path.endsWith('/embeddings') ? never : undefined));
    const run = (prompt: string) =>
      env!.run([
        'run',
        '--base-url',
        relay!.url,
        '--model',
        'llama3.2',
        '--set',
        'memory.embedding_backend=openai',
        '--set',
        'memory.embedding_model=text-embedding-3-small',
        '--set',
        'memory.embedding_timeout_secs=1',
        prompt,
      ]);
    const first = await run('say hello');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('hello from the local model');
    expect(first.stderr).toMatch(
      /warning: could not index the conversation for search: openai \(text-embedding-3-small\): the request timed out \(no answer within 1 s: \[memory\] embedding_timeout_secs\)/,
    );
    // The next run has something to recall: its recall's request times out too, and the turn goes on.
    const second = await run('say hello again');
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain('hello from the local model');
    expect(second.stderr).toContain('warning: memory recall failed, going on without it');
    expect(env.mock.requests.filter((request) => request.path === '/v1/embeddings')).toEqual([]);
  });
});
