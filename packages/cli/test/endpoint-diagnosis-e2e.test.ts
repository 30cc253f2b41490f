/**
 * Issue 11, item 8: a local server that is down, misspelt or spoken to wrongly gets a
 * diagnosis naming the URL, the cause and a fix, from `oxydra run` and from `oxydra doctor`.
 * Issue 31, item 6: doctor is not Ready when the server serves no model or not the configured
 * one, and does not warn about providers nobody chose.
 */
import { type MockLLM, startMockLLM } from '@oxydra/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_KEY } from './agent-env.js';
import { freePort } from './ports.js';

let env: AgentEnv | undefined;
let server: MockLLM | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
  await server?.close();
  server = undefined;
});

async function start(): Promise<AgentEnv> {
  return AgentEnv.start({ type: 'openai', api: 'openai-chat' }, [{ reply: { text: 'hi' }, times: 'always' }]);
}

const ONE_ATTEMPT = ['--set', 'reliability.max_attempts=1', '--set', 'memory.enabled=false'];

describe('a model server that cannot be used is diagnosed', () => {
  it('nothing listening: run names the URL, ECONNREFUSED and what to do; doctor fails the endpoint', async () => {
    env = await start();
    const url = `http://127.0.0.1:${await freePort()}/v1`;
    const run = await env.run(['run', '--base-url', url, '--model', 'gpt-4o-mini', ...ONE_ATTEMPT, 'hi']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`cannot reach ${url}: connection refused (ECONNREFUSED)`);
    expect(run.stderr).toContain('start the server');
    expect(run.stderr).not.toContain('fetch failed');

    const doctor = await env.run(['doctor', '--base-url', url]);
    expect(doctor.status).toBe(1);
    expect(doctor.stdout).toMatch(
      new RegExp(
        `\\[FAIL\\] +endpoint mock +cannot reach ${url}/models: connection refused \\(ECONNREFUSED\\)`,
      ),
    );
    expect(doctor.stdout).toContain('fix: nothing is listening there');
    expect(doctor.stdout).not.toContain('Ready.');
  });

  it('a base URL without /v1: the 404 says so and gives the URL to use', async () => {
    env = await start();
    const origin = env.mock.url.replace(/\/v1$/, '');
    const run = await env.run(['run', '--base-url', origin, '--model', 'gpt-4o-mini', ...ONE_ATTEMPT, 'hi']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${origin} answered 404 Not Found`);
    expect(run.stderr).toContain(`try --base-url ${origin}/v1`);
    const doctor = await env.run(['doctor', '--base-url', origin]);
    expect(doctor.stdout).toMatch(/\[FAIL\] +endpoint mock +.*answered HTTP 404/);
    expect(doctor.stdout).toContain(`try --base-url ${origin}/v1`);
    // init says so at once.
    const init = await env.run(['init', '--force', '--base-url', origin, '--model', 'llama3.2']);
    expect(init.status).toBe(0);
    expect(init.stdout).toContain(`note: ${origin} has no /v1; `);
  });

  it('an unknown host and https to a plain-HTTP server are told apart', async () => {
    env = await start();
    const dns = await env.run([
      'run',
      '--base-url',
      'http://no-such-host.invalid/v1',
      '--model',
      'gpt-4o-mini',
      ...ONE_ATTEMPT,
      'hi',
    ]);
    expect(dns.stderr).toMatch(
      /cannot reach http:\/\/no-such-host\.invalid\/v1: host (not found \(ENOTFOUND\)|name lookup failed temporarily \(EAI_AGAIN\))/,
    );
    const https = env.mock.url.replace(/^http:/, 'https:');
    const tls = await env.run(['run', '--base-url', https, '--model', 'gpt-4o-mini', ...ONE_ATTEMPT, 'hi']);
    expect(tls.stderr).toContain(`cannot reach ${https}: TLS handshake failed`);
    expect(tls.stderr).toContain('use an http:// URL');
  });

  it('a server that answers: doctor reports it reachable with its models, and Ready', async () => {
    env = await start();
    // An entry the selection does not use is probed too, but cannot fail the check.
    const spare = `http://127.0.0.1:${await freePort()}/v1`;
    const doctor = await env.run([
      'doctor',
      '--set',
      'providers.registry.spare.provider_type=openai',
      '--set',
      `providers.registry.spare.base_url=${spare}`,
    ]);
    expect(doctor.stdout).toMatch(
      new RegExp(
        `\\[warn\\] endpoint spare +cannot reach ${spare}/models: connection refused \\(ECONNREFUSED\\) \\(not used by the current selection\\)`,
      ),
    );
    expect(doctor.stdout).toMatch(
      /\[ok\] +endpoint mock +http:\/\/127\.0\.0\.1:\d+\/v1\/models reachable, 4 models/,
    );
    expect(doctor.stdout).toContain('Ready.');
    expect(env.mock.requests.find((r) => r.path === '/v1/models')?.headers.authorization).toMatch(
      /^Bearer sk-e2e/,
    );
  });

  it('says whether the key was proven: accepted, refused, or not checked by a server that lists to anyone', async () => {
    env = await start();
    const doctorAgainst = async (modelsKey: string | undefined) => {
      await server?.close();
      server = await startMockLLM({ api: 'openai-chat', scenario: [], ...(modelsKey ? { modelsKey } : {}) });
      return env!.run(['doctor', '--base-url', server.url]);
    };
    // A server that lists its models to anyone: any key passes there, and the line says so.
    const open = await doctorAgainst(undefined);
    expect(open.stdout).toMatch(
      /\[ok\] +endpoint mock +http:\/\/127\.0\.0\.1:\d+\/v1\/models reachable, 4 models; key not verified \(the server lists its models without one too\)\n/,
    );
    const listings = server!.requests.filter((r) => r.path === '/v1/models');
    expect(listings.map((r) => r.headers.authorization)).toEqual([`Bearer ${E2E_KEY}`, undefined]);

    // A server that checks keys on its listing: ours proven.
    const checked = await doctorAgainst(E2E_KEY);
    expect(checked.status).toBe(0);
    expect(checked.stdout).toMatch(/\[ok\] +endpoint mock +.*reachable, 4 models, key accepted\n/);
    expect(checked.stdout).toContain('Ready.');

    // The same server given a wrong key: refused, and the fix names the key settings.
    const wrong = await doctorAgainst('sk-the-right-one-0123456789');
    expect(wrong.status).toBe(1);
    expect(wrong.stdout).toMatch(/\[FAIL\] +endpoint mock +.*answered HTTP 401/);
    expect(wrong.stdout).toContain('the server refused the key');
    expect(wrong.stdout).not.toContain('Ready.');
    expect(`${open.stdout}${checked.stdout}${wrong.stdout}`).not.toContain(E2E_KEY);
  });

  it('a server without the configured model: doctor fails naming what it serves, and how to get it', async () => {
    env = await start();
    const doctorWith = async (models: string[]) => {
      await server?.close();
      server = await startMockLLM({ api: 'openai-chat', scenario: [], models });
      // The fixture's entry is priced as openai (catalog_provider), whose catalog lacks llama3.2:
      // a run would refuse the id, as doctor's selection line now says; a local server's entry
      // has no catalog_provider, which this stands for.
      return env!.run([
        'doctor',
        '--base-url',
        server.url,
        '--model',
        'llama3.2',
        '--set',
        'catalog.skip_catalog_validation=true',
      ]);
    };
    const none = await doctorWith([]);
    expect(none.status).toBe(1);
    expect(none.stdout).toMatch(
      /\[FAIL\] +endpoint mock +http:\/\/127\.0\.0\.1:\d+\/v1\/models reachable, but "llama3\.2" is not among its models \(it lists none\)/,
    );
    expect(none.stdout).toContain(
      'fix: load or pull the model on the server (for Ollama: ollama pull <model>)',
    );
    expect(none.stdout).not.toContain('Ready.');

    const other = await doctorWith(['qwen2.5:7b', 'nomic-embed-text:latest']);
    expect(other.status).toBe(1);
    expect(other.stdout).toMatch(
      /"llama3\.2" is not among its models \(it lists qwen2\.5:7b, nomic-embed-text:latest\)/,
    );
    expect(other.stdout).toContain('choose one it serves: --model, or [selection] model');

    // Ollama lists a model pulled without a tag as name:latest.
    const pulled = await doctorWith(['llama3.2:latest']);
    expect(pulled.stdout).toMatch(/\[ok\] +endpoint mock +.*reachable, 1 model; key not verified/);
    expect(pulled.stdout).toContain('Ready.');
    // Built-in providers nobody chose: one quiet line, no warning each.
    expect(pulled.stdout).not.toMatch(/\[warn\] provider (openai|anthropic|gemini)/);
    expect(pulled.stdout).toMatch(
      /\[ok\] +other providers +openai, anthropic, gemini: no key, and not used by the selection/,
    );
  });

  it("Gemini's answer to a wrong key (400, not 401) is told as a refused key by doctor and by a run", async () => {
    // Google answers a listing without a key 403, and a wrong key 400 INVALID_ARGUMENT with the
    // reason API_KEY_INVALID: before, doctor said "answered HTTP 400" with no fix, and a run
    // called it a bad request.
    const gemini = { type: 'gemini' as const, api: 'gemini' as const };
    env = await AgentEnv.start(gemini, [{ fault: { status: 400, badKey: true } }]);
    const doctorAgainst = async (modelsKey: string) => {
      await server?.close();
      server = await startMockLLM({ api: 'gemini', scenario: [], modelsKey });
      return env!.run(['doctor', '--set', `providers.registry.mock.base_url=${server.url}`]);
    };
    const right = await doctorAgainst(E2E_KEY);
    expect(right.stdout).toMatch(
      /\[ok\] +endpoint mock +.*\/v1beta\/models reachable, 4 models, key accepted\n/,
    );
    const listings = server!.requests.filter((r) => r.path === '/v1beta/models');
    expect(listings.map((r) => r.headers['x-goog-api-key'])).toEqual([E2E_KEY, undefined]);

    const wrong = await doctorAgainst('AIza-the-right-one-0123456789');
    expect(wrong.status).toBe(1);
    expect(wrong.stdout).toMatch(/\[FAIL\] +endpoint mock +.*answered HTTP 400/);
    expect(wrong.stdout).toContain('the server refused the key (or wants one): check api_key / api_key_env');
    expect(wrong.stdout).not.toContain(E2E_KEY);

    const run = await env.run(['run', ...ONE_ATTEMPT, 'hello']);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('run failed: mock rejected the API key from $MOCK_KEY (400)');
    expect(run.stderr).not.toContain(E2E_KEY);
  });
});
