/**
 * Issue 11, item 1: a key goes only to the server it was given for. With OPENAI_API_KEY set, a
 * custom base URL (--base-url, `init --base-url`, a registry entry) gets no key on its chat and
 * embedding requests, nor on doctor's probe; a key the user set for that entry (api_key_env)
 * does reach it. The mock LLM is the capture server: it records every request's headers.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordedRequest } from '@oxydra/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv } from './agent-env.js';

const OPENAI_SECRET = 'sk-openai-must-never-leave-0123456789';
const LOCAL_SECRET = 'sk-local-server-key-0123456789';
const ANSWER = [{ reply: { text: 'hello from the local model' }, times: 'always' as const }];

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

/** A workspace with only `toml` as its configuration, OPENAI_API_KEY in the environment. */
async function localServer(toml: (url: string) => string): Promise<AgentEnv> {
  const started = await AgentEnv.start({ type: 'openai', api: 'openai-chat' }, ANSWER);
  rmSync(join(started.workspace, '.oxydra'), { recursive: true, force: true });
  if (toml(started.mock.url) !== '') started.sandbox.write('.oxydra/agent.toml', toml(started.mock.url));
  started.sandbox.env = {
    ...started.sandbox.env,
    OPENAI_API_KEY: OPENAI_SECRET,
    API_KEY: OPENAI_SECRET,
    LOCAL_KEY: LOCAL_SECRET,
  };
  return started;
}

function byPath(requests: RecordedRequest[]): Record<string, RecordedRequest[]> {
  const groups: Record<string, RecordedRequest[]> = {};
  for (const request of requests) groups[request.path] = [...(groups[request.path] ?? []), request];
  return groups;
}

/** Chat, embeddings and doctor's probe all reached the server, and none carried `secret`. */
function expectNoKey(requests: RecordedRequest[], expected: string | undefined): void {
  const groups = byPath(requests);
  expect(Object.keys(groups).sort()).toEqual(['/v1/chat/completions', '/v1/embeddings', '/v1/models']);
  for (const request of requests) {
    expect(request.raw).not.toContain(OPENAI_SECRET);
    expect(JSON.stringify(request.headers)).not.toContain(OPENAI_SECRET);
    const authorization = request.headers.authorization ?? '';
    if (expected === undefined) expect(authorization).not.toContain('sk-');
    else if (request.path !== '/v1/models') expect(authorization).toBe(`Bearer ${expected}`);
  }
  // Doctor lists the models with the key, then once without it: does the server check keys?
  if (expected !== undefined) {
    expect(groups['/v1/models']?.map((request) => request.headers.authorization)).toEqual([
      `Bearer ${expected}`,
      undefined,
    ]);
  }
}

const EMBED_WITH = (provider: string) => [
  '--set',
  'memory.embedding_backend=openai',
  '--set',
  `memory.embedding_provider=${provider}`,
  '--set',
  'memory.embedding_model=mock-embed',
];

describe('a key never goes to a server the user did not give it to', () => {
  it('--base-url (the README local-model command): no OPENAI_API_KEY on chat, embeddings or probe', async () => {
    env = await localServer(() => '');
    const run = await env.run([
      'run',
      '--base-url',
      env.mock.url,
      '--model',
      'llama3.2',
      ...EMBED_WITH('openai'),
      'say hello',
    ]);
    expect(run.stderr).not.toContain('error');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('hello from the local model');
    const probed = await env.run(['doctor', '--base-url', env.mock.url, ...EMBED_WITH('openai')]);
    expect(probed.stdout).toMatch(
      /\[ok\] +endpoint openai +http:\/\/127\.0\.0\.1:\d+\/v1\/models reachable, 4 models/,
    );
    expectNoKey(env.mock.requests, undefined);
  });

  it('init --base-url: the local entry gets no key', async () => {
    env = await localServer(() => '');
    expect((await env.run(['init', '--base-url', env.mock.url, '--model', 'llama3.2'])).status).toBe(0);
    const run = await env.run(['run', ...EMBED_WITH('local'), 'say hello']);
    expect(run.status).toBe(0);
    expect((await env.run(['doctor', ...EMBED_WITH('local')])).stdout).toMatch(
      /\[ok\] +endpoint local +.*reachable/,
    );
    expectNoKey(env.mock.requests, undefined);
  });

  it('a registry entry gets no key, unless the user names one for it with api_key_env', async () => {
    const entry = (keyLine: string) => (url: string) =>
      `[selection]\nprovider = "ollama"\nmodel = "llama3.2"\n\n[providers.registry.ollama]\nprovider_type = "openai"\nbase_url = "${url}"\n${keyLine}\n[memory]\nembedding_backend = "openai"\nembedding_provider = "ollama"\nembedding_model = "mock-embed"\n`;
    env = await localServer(entry(''));
    expect((await env.run(['run', 'say hello'])).status).toBe(0);
    await env.run(['doctor']);
    expectNoKey(env.mock.requests, undefined);
    await env.close();

    // The positive control: the same checks see a key when the user gave one for this server.
    env = await localServer(entry('api_key_env = "LOCAL_KEY"'));
    expect((await env.run(['run', 'say hello'])).status).toBe(0);
    await env.run(['doctor']);
    expectNoKey(env.mock.requests, LOCAL_SECRET);
  });
});
