import { afterEach, describe, expect, it } from 'vitest';
import { envOverrides, loadAgentConfig } from '../src/index.js';
import { makeSandbox, type Sandbox } from './helpers.js';

let sandbox: Sandbox;
afterEach(() => sandbox?.cleanup());

async function loadWith(env: Record<string, string>) {
  sandbox = makeSandbox(env);
  return loadAgentConfig({ cwd: sandbox.workspace, env: sandbox.env });
}

describe('OXYDRA__ environment overrides', () => {
  it('splits nested keys on double underscores and lower-cases them', () => {
    expect(
      envOverrides({ OXYDRA__RUNTIME__CONTEXT_BUDGET__TRIGGER_RATIO: '0.5', OTHER: 'x', OXYDRA_DEBUG: '1' }),
    ).toEqual([
      {
        path: ['runtime', 'context_budget', 'trigger_ratio'],
        raw: '0.5',
        source: 'environment variable OXYDRA__RUNTIME__CONTEXT_BUDGET__TRIGGER_RATIO',
      },
    ]);
  });

  it('parses numbers, integers and nested numbers', async () => {
    const { config } = await loadWith({
      OXYDRA__RUNTIME__MAX_TURNS: '12',
      OXYDRA__RUNTIME__MAX_COST: '0.25',
      OXYDRA__RUNTIME__CONTEXT_BUDGET__TRIGGER_RATIO: '0.6',
    });
    expect(config.runtime.max_turns).toBe(12);
    expect(config.runtime.max_cost).toBe(0.25);
    expect(config.runtime.context_budget.trigger_ratio).toBe(0.6);
  });

  it.each([
    ['false', false],
    ['0', false],
    ['no', false],
    ['off', false],
    ['true', true],
    ['1', true],
    ['YES', true],
    ['on', true],
  ])('parses the boolean %s', async (raw, expected) => {
    const { config } = await loadWith({ OXYDRA__MEMORY__ENABLED: raw });
    expect(config.memory.enabled).toBe(expected);
  });

  it('parses lists written comma-separated or as TOML arrays', async () => {
    const { config } = await loadWith({
      OXYDRA__TOOLS__SHELL__ENV_KEYS: 'GOPATH, CARGO_HOME',
      OXYDRA__TOOLS__SHELL__DENY: '["rm -rf *", "sudo *"]',
    });
    expect(config.tools.shell.env_keys).toEqual(['GOPATH', 'CARGO_HOME']);
    expect(config.tools.shell.deny).toEqual(['rm -rf *', 'sudo *']);
  });

  it('parses lists of tables and inline tables', async () => {
    const { config } = await loadWith({
      OXYDRA__SELECTION__FALLBACKS: '[{ provider = "anthropic", model = "claude-haiku-4-5" }]',
      OXYDRA__PROVIDERS__REGISTRY__OPENAI__EXTRA_HEADERS: '{ "X-Title" = "oxydra" }',
    });
    expect(config.selection.fallbacks).toEqual([{ provider: 'anthropic', model: 'claude-haiku-4-5' }]);
    expect(config.providers.registry.openai?.extra_headers).toEqual({ 'X-Title': 'oxydra' });
  });

  it('creates registry entries and keeps strings as strings', async () => {
    const { config } = await loadWith({
      OXYDRA__PROVIDERS__REGISTRY__OLLAMA__PROVIDER_TYPE: 'openai',
      OXYDRA__PROVIDERS__REGISTRY__OLLAMA__BASE_URL: 'http://127.0.0.1:11434/v1',
      OXYDRA__SELECTION__PROVIDER: 'ollama',
      OXYDRA__SELECTION__MODEL: '123',
    });
    expect(config.providers.registry.ollama).toMatchObject({
      provider_type: 'openai',
      base_url: 'http://127.0.0.1:11434/v1',
    });
    expect(config.selection).toMatchObject({ provider: 'ollama', model: '123' });
  });

  it('rejects a value of the wrong type naming the variable', async () => {
    await expect(loadWith({ OXYDRA__RUNTIME__MAX_TURNS: 'lots' })).rejects.toThrow(
      'environment variable OXYDRA__RUNTIME__MAX_TURNS: runtime.max_turns = "lots" is not a number',
    );
    await expect(loadWith({ OXYDRA__MEMORY__ENABLED: 'maybe' })).rejects.toThrow(/is not a boolean/);
  });

  it('rejects an unknown key with a suggestion', async () => {
    await expect(loadWith({ OXYDRA__RUNTME__MAX_TURNS: '3' })).rejects.toThrow(
      'environment variable OXYDRA__RUNTME__MAX_TURNS: unknown key "runtme" in (top level) (did you mean "runtime"?)',
    );
  });

  it('validates env values with the same rules as files, naming the variable', async () => {
    await expect(loadWith({ OXYDRA__RUNTIME__MAX_TURNS: '0' })).rejects.toThrow(
      'environment variable OXYDRA__RUNTIME__MAX_TURNS: runtime.max_turns = 0 is out of range: must be > 0',
    );
  });
});
