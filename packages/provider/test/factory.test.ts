import {
  type AgentConfig,
  type AgentConfigInput,
  ConfigError,
  DEFAULT_PROVIDER_REGISTRY,
  ProviderError,
  type ProviderType,
} from '@oxydra/types';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { describe, expect, it } from 'vitest';
import type { AdapterOptions } from '../src/adapters/define.js';
import { type AdapterFactories, createProviderFromConfig, isHostedEndpoint } from '../src/factory/index.js';
import { BreakerRegistry } from '../src/reliability/index.js';
import { collect, fail, failing, fakeProvider, fakeTime, ok, type Script } from './reliability-fakes.js';

const SECRET = 'sk-test-secret-value';

function config(input: AgentConfigInput = {}): AgentConfig {
  // As the loader does: the built-in registry entries under the user's.
  return agentConfigSchema.parse({
    ...input,
    providers: { registry: { ...DEFAULT_PROVIDER_REGISTRY, ...input.providers?.registry } },
  });
}

/** Fake adapters that record how they were built and play per-provider-name scripts. */
function adapters(scripts: Record<string, Script[]> = {}) {
  const built: AdapterOptions[] = [];
  const make = (type: ProviderType) => (options: AdapterOptions) => {
    built.push(options);
    return fakeProvider(options.name, scripts[options.name] ?? [], type);
  };
  const factories: AdapterFactories = {
    openai: make('openai'),
    openai_responses: make('openai_responses'),
    anthropic: make('anthropic'),
    gemini: make('gemini'),
  };
  return { built, factories };
}

function hooks() {
  const time = fakeTime();
  return { time, hooks: { sleep: time.sleep, now: time.now, breakers: new BreakerRegistry() } };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('createProviderFromConfig', () => {
  it('builds the selected provider with its credential and validated model', () => {
    const { built, factories } = adapters();
    const setup = createProviderFromConfig(config(), {
      adapters: factories,
      env: { OPENAI_API_KEY: SECRET },
      timeoutMs: 5000,
    });
    expect(built).toEqual([
      { name: 'openai', baseURL: 'https://api.openai.com/v1', apiKey: SECRET, timeoutMs: 5000 },
    ]);
    expect(setup.providerName).toBe('openai');
    expect(setup.model).toMatchObject({ id: 'gpt-4o-mini', namespace: 'openai', known: true });
    expect(setup.model.capabilities.contextWindow).toBe(128_000);
    expect(setup.targets).toHaveLength(1);
    expect(setup.targets[0]).toMatchObject({ hosted: true, credential: '$OPENAI_API_KEY' });
    expect(setup.provider.name).toBe('openai');
  });

  it('tells exactly what to set when a hosted provider has no key', () => {
    const { built, factories } = adapters();
    const error = thrown(() => createProviderFromConfig(config(), { adapters: factories, env: {} }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      'no API key for provider openai: set OPENAI_API_KEY, or run `oxydra init`, or use --base-url with a local OpenAI-compatible server',
    );
    expect((error as ConfigError).hint).toBe(
      'a key is looked for in: api_key in the config, $OPENAI_API_KEY, $API_KEY',
    );
    expect(built).toHaveLength(0);

    const anthropic = thrown(() =>
      createProviderFromConfig(config({ selection: { provider: 'anthropic', model: 'claude-haiku-4-5' } }), {
        adapters: factories,
        env: {},
      }),
    ) as ConfigError;
    expect(anthropic.message).toBe(
      'no API key for provider anthropic: set ANTHROPIC_API_KEY, or run `oxydra init`',
    );

    const named = thrown(() =>
      createProviderFromConfig(
        config({
          providers: { registry: { openai: { provider_type: 'openai', api_key_env: 'WORK_OPENAI_KEY' } } },
        }),
        { adapters: factories, env: {} },
      ),
    ) as ConfigError;
    expect(named.message).toMatch(/^no API key for provider openai: set WORK_OPENAI_KEY,/);
  });

  it('allows a custom base_url without a key, and a model the catalog does not know there', () => {
    const { built, factories } = adapters();
    const setup = createProviderFromConfig(
      config({
        selection: { provider: 'ollama', model: 'llama3.2' },
        providers: {
          registry: { ollama: { provider_type: 'openai', base_url: 'http://localhost:11434/v1' } },
        },
      }),
      { adapters: factories, env: {} },
    );
    expect(built).toEqual([{ name: 'ollama', baseURL: 'http://localhost:11434/v1' }]);
    expect(setup.model).toMatchObject({ id: 'llama3.2', known: false });
    expect(setup.targets[0]).toMatchObject({ hosted: false });
    expect(setup.targets[0]!.credential).toBeUndefined();
  });

  it('never sends the provider-type or generic key variables to a custom endpoint', () => {
    const { built, factories } = adapters();
    createProviderFromConfig(
      config({
        selection: { provider: 'proxy', model: 'm' },
        providers: {
          registry: {
            proxy: { provider_type: 'openai', base_url: 'https://proxy.example.com/v1' },
            named: {
              provider_type: 'openai',
              base_url: 'https://other.example.com/v1',
              api_key_env: 'OTHER_KEY',
            },
          },
        },
      }),
      { adapters: factories, env: { OPENAI_API_KEY: SECRET, API_KEY: SECRET } },
    );
    expect(built).toEqual([{ name: 'proxy', baseURL: 'https://proxy.example.com/v1' }]);
    // Its own api_key_env is the user's explicit choice for that endpoint, and is used.
    const second = adapters();
    createProviderFromConfig(
      config({
        selection: { provider: 'named', model: 'm' },
        providers: {
          registry: {
            named: {
              provider_type: 'openai',
              base_url: 'https://other.example.com/v1',
              api_key_env: 'OTHER_KEY',
            },
          },
        },
      }),
      {
        adapters: second.factories,
        env: { OTHER_KEY: 'other-key', OPENAI_API_KEY: SECRET },
      },
    );
    expect(second.built[0]?.apiKey).toBe('other-key');
  });

  it('--base-url turns the selected provider into a local server that needs no key', () => {
    const { built, factories } = adapters();
    createProviderFromConfig(config(), {
      adapters: factories,
      env: {},
      baseURL: 'http://127.0.0.1:8080/v1',
      model: 'qwen3-8b',
    });
    expect(built[0]).toEqual({ name: 'openai', baseURL: 'http://127.0.0.1:8080/v1' });
  });

  it('validates the model against the catalog before building anything', () => {
    const { built, factories } = adapters();
    const error = thrown(() =>
      createProviderFromConfig(config({ selection: { model: 'gpt-4o-mni' } }), {
        adapters: factories,
        env: { OPENAI_API_KEY: SECRET },
      }),
    ) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      'unknown model "gpt-4o-mni" for provider openai (did you mean "gpt-4o-mini"?)',
    );
    expect(error.location.keyPath).toBe('selection.model');
    expect(built).toHaveLength(0);

    const skipped = createProviderFromConfig(
      config({ selection: { model: 'gpt-9-preview' }, catalog: { skip_catalog_validation: true } }),
      { adapters: factories, env: { OPENAI_API_KEY: SECRET } },
    );
    expect(skipped.model).toMatchObject({ id: 'gpt-9-preview', known: false });
  });

  it('a custom endpoint with catalog_provider is validated against that namespace', () => {
    const { factories } = adapters();
    const proxy = {
      providers: {
        registry: {
          proxy: {
            provider_type: 'openai' as const,
            base_url: 'https://proxy.example/v1',
            catalog_provider: 'anthropic',
          },
        },
      },
    };
    const setup = createProviderFromConfig(
      config({ ...proxy, selection: { provider: 'proxy', model: 'claude-haiku-4-5' } }),
      { adapters: factories, env: {} },
    );
    expect(setup.model).toMatchObject({ namespace: 'anthropic', known: true });
    expect(() =>
      createProviderFromConfig(
        config({ ...proxy, selection: { provider: 'proxy', model: 'claude-haiku-45' } }),
        {
          adapters: factories,
          env: {},
        },
      ),
    ).toThrow('unknown model "claude-haiku-45" for provider proxy (did you mean "claude-haiku-4-5"?)');
  });

  it('maps gemini to the google catalog and honours --provider/--model and agent selections', () => {
    const { built, factories } = adapters();
    const env = { GEMINI_API_KEY: 'g', ANTHROPIC_API_KEY: 'a' };
    const gemini = createProviderFromConfig(config(), {
      adapters: factories,
      env,
      providerName: 'gemini',
      model: 'gemini-2.5-flash',
    });
    expect(gemini.model.namespace).toBe('google');
    expect(built[0]).toMatchObject({
      name: 'gemini',
      baseURL: 'https://generativelanguage.googleapis.com',
      apiKey: 'g',
    });

    // The agent's selection comes resolved (the kernel's resolveAgentSettings); --model still wins.
    const selection = { provider: 'anthropic', model: 'claude-haiku-4-5' };
    const agent = createProviderFromConfig(config(), { adapters: factories, env, selection });
    expect(agent).toMatchObject({ providerName: 'anthropic', model: { id: 'claude-haiku-4-5' } });
    const overridden = createProviderFromConfig(config(), {
      adapters: factories,
      env,
      selection,
      model: 'claude-sonnet-4-5',
    });
    expect(overridden).toMatchObject({ providerName: 'anthropic', model: { id: 'claude-sonnet-4-5' } });
  });

  it('names an unknown provider and what is known', () => {
    const { factories } = adapters();
    expect(() =>
      createProviderFromConfig(config(), { adapters: factories, env: {}, providerName: 'opanai' }),
    ).toThrow(
      'provider "opanai" is not in [providers.registry] (did you mean "openai"?) (known: openai, anthropic, gemini, local)',
    );
  });

  it('passes extra headers to the adapter', () => {
    const { built, factories } = adapters();
    createProviderFromConfig(
      config({
        providers: {
          registry: {
            openai: { provider_type: 'openai', extra_headers: { 'OpenAI-Organization': 'org-1' } },
          },
        },
      }),
      { adapters: factories, env: { OPENAI_API_KEY: SECRET } },
    );
    expect(built[0]!.extraHeaders).toEqual({ 'OpenAI-Organization': 'org-1' });
  });
});

describe('the built provider', () => {
  it('rewraps auth errors to name the provider and the credential source, never the key', async () => {
    const { factories } = adapters({ openai: [failing('auth', { provider: 'openai', status: 401 }), ok()] });
    const { hooks: h, time } = hooks();
    const setup = createProviderFromConfig(config(), {
      adapters: factories,
      env: { OPENAI_API_KEY: SECRET },
      hooks: h,
    });
    const result = await collect(setup.provider, { model: 'gpt-4o-mini' });
    const error = result.error as ProviderError;
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.kind).toBe('auth');
    expect(error.status).toBe(401);
    expect(error.message).toBe('openai rejected the API key from $OPENAI_API_KEY (401)');
    expect(JSON.stringify(error.toJSON())).not.toContain(SECRET);
    expect(error.hint).not.toContain(SECRET);
    expect(time.state.sleeps).toEqual([]);
  });

  it('says a keyless custom endpoint wants a key when it answers 401', async () => {
    const { factories } = adapters({ local: [failing('auth', { status: 401 })] });
    const setup = createProviderFromConfig(
      config({
        selection: { provider: 'local', model: 'm' },
        providers: { registry: { local: { provider_type: 'openai', base_url: 'http://localhost:1234/v1' } } },
      }),
      { adapters: factories, env: {}, hooks: hooks().hooks },
    );
    const error = (await collect(setup.provider)).error as ProviderError;
    expect(error.message).toBe('local at http://localhost:1234/v1 requires an API key (401)');
  });

  it('fills costUsd into usage events from catalog prices', async () => {
    const usage = { type: 'usage' as const, usage: { inputTokens: 1_000_000, outputTokens: 1_000_000 } };
    const { factories } = adapters({ openai: [[usage]], ollama: [[usage]] });
    const hosted = createProviderFromConfig(config(), {
      adapters: factories,
      env: { OPENAI_API_KEY: SECRET },
      hooks: hooks().hooks,
    });
    const event = (await collect(hosted.provider, { model: 'gpt-4o-mini' })).events[0];
    expect(event?.type === 'usage' && event.usage.costUsd).toBeCloseTo(0.75, 12);

    // A local server's models are not priced by the catalog.
    const local = createProviderFromConfig(
      config({
        selection: { provider: 'ollama', model: 'gpt-4o-mini' },
        providers: {
          registry: { ollama: { provider_type: 'openai', base_url: 'http://localhost:11434/v1' } },
        },
      }),
      { adapters: factories, env: {}, hooks: hooks().hooks },
    );
    const localEvent = (await collect(local.provider, { model: 'gpt-4o-mini' })).events[0];
    expect(localEvent?.type === 'usage' && localEvent.usage.costUsd).toBeUndefined();
  });

  it('retries with the [reliability] policy, then falls back to [selection] fallbacks in order', async () => {
    const { built, factories } = adapters({
      openai: [failing('overloaded'), failing('overloaded'), failing('overloaded')],
      anthropic: [[fail('rate_limited', { retryAfterMs: 1000 })], ok('from claude')],
    });
    const { hooks: h, time } = hooks();
    const setup = createProviderFromConfig(
      config({
        selection: {
          fallbacks: [
            { provider: 'openai', model: 'gpt-4o-mini' },
            { provider: 'anthropic', model: 'claude-haiku-4-5' },
            { provider: 'gemini', model: 'gemini-2.5-flash' },
          ],
        },
      }),
      {
        adapters: factories,
        env: { OPENAI_API_KEY: 'o', ANTHROPIC_API_KEY: 'a', GEMINI_API_KEY: 'g' },
        hooks: h,
      },
    );
    // The fallback identical to the primary is dropped.
    expect(setup.targets.map((t) => `${t.providerName}/${t.model.id}`)).toEqual([
      'openai/gpt-4o-mini',
      'anthropic/claude-haiku-4-5',
      'gemini/gemini-2.5-flash',
    ]);
    expect(built.map((b) => b.name)).toEqual(['openai', 'anthropic', 'gemini']);

    const result = await collect(setup.provider, { model: 'gpt-4o-mini' });
    expect(result.error).toBeUndefined();
    expect(result.text).toBe('from claude');
    expect(time.state.sleeps).toEqual([250, 500, 1000]);
    expect(result.progress).toEqual([
      'retrying openai after overloaded in 0.3 s (attempt 2/3)',
      'retrying openai after overloaded in 0.5 s (attempt 3/3)',
      'openai (gpt-4o-mini) is unavailable: it failed with overloaded; falling back to anthropic (claude-haiku-4-5)',
      'retrying anthropic after rate_limited in 1.0 s (attempt 2/3)',
    ]);
  });

  it('fails when a fallback has no key, naming it', () => {
    const { factories } = adapters();
    const error = thrown(() =>
      createProviderFromConfig(
        config({ selection: { fallbacks: [{ provider: 'anthropic', model: 'claude-haiku-4-5' }] } }),
        {
          adapters: factories,
          env: { OPENAI_API_KEY: 'o' },
        },
      ),
    ) as ConfigError;
    expect(error.message).toMatch(/^no API key for provider anthropic/);
    expect(error.location.keyPath).toBe('providers.registry.anthropic.api_key');
  });
});

describe('isHostedEndpoint', () => {
  it('compares hosts with the provider type’s own API', () => {
    expect(isHostedEndpoint('openai', 'https://api.openai.com/v1')).toBe(true);
    expect(isHostedEndpoint('openai_responses', 'https://api.openai.com/v1/')).toBe(true);
    expect(isHostedEndpoint('anthropic', 'https://api.anthropic.com')).toBe(true);
    expect(isHostedEndpoint('openai', 'https://openrouter.ai/api/v1')).toBe(false);
    expect(isHostedEndpoint('gemini', 'not a url')).toBe(false);
  });
});
