/**
 * An embedding server that does not serve (the README's local-model command, memory's
 * embeddings on an OpenAI-compatible server) must not hold or fail a run: recall and indexing
 * are best effort, warned, and the run answers. The real binary, against the mock.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioStep } from '@oxydra/testkit';
import { type HoldingRelay, holdingRelay } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv } from './agent-env.js';
import { onStateDb } from './helpers.js';

let env: AgentEnv | undefined;
let relay: HoldingRelay | undefined;
afterEach(async () => {
  relay?.close();
  relay = undefined;
  await env?.close();
  env = undefined;
});

const never = new Promise<void>(() => {});
const ANSWER: ScenarioStep = { reply: { text: 'hello from the local model' }, times: 'always' };

/**
 * `oxydra run --base-url <url> --model llama3.2` in a workspace without state, with memory's
 * embeddings on the same server (`embedding_backend = "openai"`) and `settings` (`key=value`).
 */
function localRun(url: string, settings: string[]) {
  rmSync(join(env!.workspace, '.oxydra'), { recursive: true, force: true });
  const flags = ['memory.embedding_backend=openai', ...settings].flatMap((setting) => ['--set', setting]);
  return (prompt: string) => env!.run(['run', '--base-url', url, '--model', 'llama3.2', ...flags, prompt]);
}

describe('an embedding server that never answers', () => {
  // Before the bound, only fetch's own 300 s applied: `oxydra run` printed its answer and then
  // waited five minutes to exit (its indexing), and the next run's recall held the turn as long.
  it('costs a run embedding_timeout_secs, not five minutes: the answer, then a warning, exit 0', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, [ANSWER]);
    relay = await holdingRelay(env.mock.url, (path) => (path.endsWith('/embeddings') ? never : undefined));
    const run = localRun(relay.url, [
      'memory.embedding_model=text-embedding-3-small',
      'memory.embedding_timeout_secs=1',
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

describe('an embedding model of unknown size on a failing server', () => {
  // Ollama's nomic-embed-text, the model not pulled or the server overloaded. Before, its size
  // was asked when memory opened, and the failure failed every run before its first model call
  // (`error: openai (nomic-embed-text): … (HTTP 500)`, exit 1).
  it('answers every run, warning that indexing and then recall failed, exit 0', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, [
      // Only embedding requests hold this text: the size probe, the first request of every use.
      { match: { lastMessageContains: 'dimensions probe' }, fault: { status: 500 }, times: 'always' },
      ANSWER,
    ]);
    const run = localRun(env.mock.url, ['memory.embedding_model=nomic-embed-text']);
    const first = await run('say hello');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('hello from the local model');
    expect(first.stderr).toMatch(
      /warning: could not index the conversation for search: openai \(nomic-embed-text\): .*\(HTTP 500\)/,
    );
    // The next run has a conversation to recall: its recall fails alike, and the turn goes on.
    const second = await run('say hello again');
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain('hello from the local model');
    expect(second.stderr).toMatch(
      /warning: memory recall failed, going on without it: openai \(nomic-embed-text\)/,
    );
    // Only the size was asked (each use asks again while it fails): no text was embedded.
    const embedded = env.mock.requests.filter((request) => request.path === '/v1/embeddings');
    expect(embedded.length).toBeGreaterThanOrEqual(2);
    for (const request of embedded) expect(JSON.stringify(request.body)).toContain('dimensions probe');
  });
});

describe('an embedding model of unknown size on a server that answers', () => {
  // Before, every process asked the size again: one more request before each run's first search.
  it('is asked its size once; a size the server no longer answers with is dropped and asked again', async () => {
    env = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, [ANSWER]);
    const run = localRun(env.mock.url, ['memory.embedding_model=nomic-embed-text']);
    const probes = () =>
      env!.mock.requests.filter(
        (request) =>
          request.path === '/v1/embeddings' && JSON.stringify(request.body).includes('dimensions probe'),
      ).length;
    for (const prompt of ['say hello', 'say hello again', 'and once more']) {
      const done = await run(prompt);
      expect(done.status, done.stderr).toBe(0);
      expect(done.stderr).not.toContain('warning');
    }
    expect(probes()).toBe(1);
    // The server now serves another model under that name: the kept size is wrong.
    const kept = onStateDb(
      env.workspace,
      'memory.db',
      `UPDATE kernel_state SET value = '{"dimensions":768}' WHERE category = 'memory.embedder_sizes' RETURNING name`,
    );
    expect(kept).toHaveLength(1);
    const wrong = await run('say hello');
    expect(wrong.status, wrong.stderr).toBe(0);
    expect(wrong.stderr).toContain(
      'warning: memory recall failed, going on without it: openai:nomic-embed-text answered with 1536-dimensional vectors, not the 768 its earlier answers had',
    );
    expect(probes()).toBe(1);
    // The next run asks again, and searches and indexes as before.
    const asked = await run('say hello');
    expect(asked.status, asked.stderr).toBe(0);
    expect(asked.stderr).not.toContain('warning');
    expect(probes()).toBe(2);
  });
});
