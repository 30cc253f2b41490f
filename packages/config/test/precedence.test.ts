import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAgentConfig, parseSetFlag } from '../src/index.js';
import { makeSandbox, type Sandbox } from './helpers.js';

let sandbox: Sandbox;
afterEach(() => sandbox?.cleanup());

function load(extra: Parameters<typeof loadAgentConfig>[0] = {}) {
  return loadAgentConfig({ cwd: sandbox.workspace, env: sandbox.env, trust: 'this-run', ...extra });
}

describe('configuration precedence', () => {
  it('uses the built-in defaults when no file, variable or flag is present', async () => {
    sandbox = makeSandbox();
    const { config, files, provenance } = await load();
    expect(config.runtime.max_turns).toBe(100);
    expect(config.selection).toEqual({ provider: 'openai', model: 'gpt-4o-mini', fallbacks: [] });
    expect(config.memory.enabled).toBe(true);
    expect(Object.keys(config.providers.registry).sort()).toEqual(['anthropic', 'gemini', 'local', 'openai']);
    expect(files.every((file) => !file.found)).toBe(true);
    expect(provenance.get('providers.registry.openai.base_url')).toBe('built-in defaults');
  });

  it('applies each layer over the one below: defaults < system < user < workspace < env < flags', async () => {
    sandbox = makeSandbox();
    const layers: { label: string; apply: () => void; expected: number; expectedSource: string }[] = [
      {
        label: 'system',
        apply: () => sandbox.write(join(sandbox.system, 'agent.toml'), '[runtime]\nmax_turns = 11\n'),
        expected: 11,
        expectedSource: join(sandbox.system, 'agent.toml'),
      },
      {
        label: 'user',
        apply: () => sandbox.write(join(sandbox.userConfig, 'agent.toml'), '[runtime]\nmax_turns = 12\n'),
        expected: 12,
        expectedSource: join(sandbox.userConfig, 'agent.toml'),
      },
      {
        label: 'workspace',
        apply: () =>
          sandbox.write(join(sandbox.workspaceConfig, 'agent.toml'), '[runtime]\nmax_turns = 13\n'),
        expected: 13,
        expectedSource: join(sandbox.workspaceConfig, 'agent.toml'),
      },
      {
        label: 'env',
        apply: () => {
          sandbox.env.OXYDRA__RUNTIME__MAX_TURNS = '14';
        },
        expected: 14,
        expectedSource: 'environment variable OXYDRA__RUNTIME__MAX_TURNS',
      },
    ];
    for (const layer of layers) {
      layer.apply();
      const { config, provenance } = await load();
      expect(config.runtime.max_turns, `after adding the ${layer.label} layer`).toBe(layer.expected);
      expect(provenance.get('runtime.max_turns')).toBe(layer.expectedSource);
    }
    const { config, provenance } = await load({ cli: { set: [parseSetFlag('runtime.max_turns=15')] } });
    expect(config.runtime.max_turns).toBe(15);
    expect(provenance.get('runtime.max_turns')).toBe('--set runtime.max_turns');
  });

  it('merges tables key by key, so a higher layer changes one key and keeps the rest', async () => {
    sandbox = makeSandbox();
    sandbox.write(
      join(sandbox.userConfig, 'agent.toml'),
      '[runtime]\nmax_turns = 7\nturn_timeout_secs = 9\n',
    );
    sandbox.write(join(sandbox.workspaceConfig, 'agent.toml'), '[runtime]\nturn_timeout_secs = 30\n');
    const { config } = await load();
    expect(config.runtime.max_turns).toBe(7);
    expect(config.runtime.turn_timeout_secs).toBe(30);
  });

  it('reads providers.toml after agent.toml in the same directory', async () => {
    sandbox = makeSandbox();
    sandbox.write(
      join(sandbox.workspaceConfig, 'agent.toml'),
      '[providers.registry.openai]\nprovider_type = "openai"\nbase_url = "http://agent.example/v1"\n',
    );
    sandbox.write(
      join(sandbox.workspaceConfig, 'providers.toml'),
      '[providers.registry.openai]\nprovider_type = "openai"\nbase_url = "http://providers.example/v1"\n',
    );
    const { config } = await load();
    expect(config.providers.registry.openai?.base_url).toBe('http://providers.example/v1');
    // The built-in provider_type of the default entry survives a partial override; the built-in
    // entries carry no api_key_env, so a custom base_url never inherits a key variable.
    expect(config.providers.registry.openai?.provider_type).toBe('openai');
    expect(config.providers.registry.openai?.api_key_env).toBeUndefined();
  });

  it('lets --provider, --model and --base-url beat every other layer', async () => {
    sandbox = makeSandbox({ OXYDRA__SELECTION__MODEL: 'from-env' });
    sandbox.write(
      join(sandbox.workspaceConfig, 'agent.toml'),
      '[selection]\nprovider = "openai"\nmodel = "from-file"\n',
    );
    const { config, provenance } = await load({
      cli: { provider: 'anthropic', model: 'claude-haiku-4-5', baseUrl: 'http://127.0.0.1:9999' },
    });
    expect(config.selection.provider).toBe('anthropic');
    expect(config.selection.model).toBe('claude-haiku-4-5');
    expect(config.providers.registry.anthropic?.base_url).toBe('http://127.0.0.1:9999');
    expect(config.providers.registry.openai?.base_url).toBe('https://api.openai.com/v1');
    expect(provenance.get('selection.model')).toBe('--model');
  });

  it('lists every candidate file in precedence order', async () => {
    sandbox = makeSandbox();
    sandbox.write(join(sandbox.userConfig, 'providers.toml'), '');
    const { files } = await load();
    expect(files.map((file) => [file.scope, file.path, file.found])).toEqual([
      ['system', join(sandbox.system, 'agent.toml'), false],
      ['system', join(sandbox.system, 'providers.toml'), false],
      ['user', join(sandbox.userConfig, 'agent.toml'), false],
      ['user', join(sandbox.userConfig, 'providers.toml'), true],
      ['workspace', join(sandbox.workspaceConfig, 'agent.toml'), false],
      ['workspace', join(sandbox.workspaceConfig, 'providers.toml'), false],
    ]);
  });

  it('honours XDG_CONFIG_HOME for the user layer', async () => {
    sandbox = makeSandbox();
    const xdg = join(sandbox.root, 'xdg');
    sandbox.env.XDG_CONFIG_HOME = xdg;
    sandbox.write(join(xdg, 'oxydra', 'agent.toml'), '[runtime]\nmax_turns = 3\n');
    const { config } = await load();
    expect(config.runtime.max_turns).toBe(3);
  });
});
