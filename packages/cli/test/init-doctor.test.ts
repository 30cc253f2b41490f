import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { auditEntries, CliSandbox } from './helpers.js';

let sandbox: CliSandbox;
afterEach(() => sandbox?.cleanup());

describe('oxydra init', () => {
  it('writes a commented agent.toml that validates, and refuses to overwrite it without --force', () => {
    sandbox = new CliSandbox();
    const first = sandbox.run('init', '--provider', 'anthropic');
    expect(first.status).toBe(0);
    const path = join(sandbox.workspace, '.oxydra', 'agent.toml');
    const content = readFileSync(path, 'utf8');
    expect(content).toContain('provider = "anthropic"');
    expect(content).toMatch(/^# /m);
    expect(sandbox.run('config', 'validate').status).toBe(0);

    const again = sandbox.run('init');
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('.oxydra/agent.toml already exists; not overwriting it');
    expect(again.stderr).toContain('--force');
    expect(readFileSync(path, 'utf8')).toBe(content);

    expect(sandbox.run('init', '--provider', 'gemini', '--force').status).toBe(0);
    expect(readFileSync(path, 'utf8')).toContain('provider = "gemini"');
    // Both writes are configuration changes in the audit chain; the refused one is not.
    expect(auditEntries(sandbox.workspace, 'config_change').map((e) => e.data.change)).toEqual([
      'created',
      'replaced',
    ]);
  });

  it('sets up a local OpenAI-compatible server with --base-url', () => {
    sandbox = new CliSandbox();
    expect(sandbox.run('init', '--base-url', 'http://127.0.0.1:11434/v1').status).toBe(2);
    const result = sandbox.run('init', '--base-url', 'http://127.0.0.1:11434/v1', '--model', 'llama3.2');
    expect(result.status).toBe(0);
    const config = JSON.parse(sandbox.run('config', 'show', '--json').stdout);
    expect(config.selection).toMatchObject({ provider: 'local', model: 'llama3.2' });
    expect(config.providers.registry.local).toMatchObject({
      provider_type: 'openai',
      base_url: 'http://127.0.0.1:11434/v1',
      free: true,
    });
    // Model ids of the hosted providers are still checked: a typo is caught before any call.
    expect(config.catalog.skip_catalog_validation).toBe(false);
    sandbox.env.OPENAI_API_KEY = 'sk-not-used-0123456789';
    const typo = sandbox.run('run', '--provider', 'openai', '--model', 'gpt-4o-mnii', 'hi');
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/unknown model "gpt-4o-mnii" for provider openai.*gpt-4o-mini/);
  });
  it('--api-key-env names the variable: for a local server, and for a hosted one when not its own', () => {
    sandbox = new CliSandbox();
    const local = sandbox.run(
      'init',
      '--base-url',
      'http://127.0.0.1:11434/v1',
      '--model',
      'llama3.2',
      '--api-key-env',
      'LOCAL_LLM_KEY',
    );
    expect(local.status).toBe(0);
    expect(local.stdout).toContain('next: export LOCAL_LLM_KEY=<your key>, then run oxydra doctor');
    const config = JSON.parse(sandbox.run('config', 'show', '--json').stdout);
    expect(config.providers.registry.local.api_key_env).toBe('LOCAL_LLM_KEY');

    expect(sandbox.run('init', '--force', '--api-key-env', 'WORK_OPENAI_KEY').status).toBe(0);
    const hosted = JSON.parse(sandbox.run('config', 'show', '--json').stdout);
    expect(hosted.providers.registry.openai.api_key_env).toBe('WORK_OPENAI_KEY');
    // The provider's own variable needs no entry: the file stays as without the flag.
    expect(sandbox.run('init', '--force', '--api-key-env', 'OPENAI_API_KEY').status).toBe(0);
    const plain = readFileSync(join(sandbox.workspace, '.oxydra', 'agent.toml'), 'utf8');
    expect(plain).not.toMatch(/^api_key_env =/m);

    const bad = sandbox.run('init', '--force', '--api-key-env', 'MY KEY');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('"MY KEY" is not a variable name');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(join(sandbox.workspace, '.oxydra', 'agent.toml'), 'utf8')).toBe(plain);
  });

  it('does not ask for a key that is already exported', () => {
    sandbox = new CliSandbox({ OPENAI_API_KEY: 'sk-init-0123456789' });
    const result = sandbox.run('init');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('wrote .oxydra/agent.toml\nkey from $OPENAI_API_KEY; next: `oxydra doctor`\n');
    sandbox.env.WORK_KEY = 'sk-work-0123456789';
    const named = sandbox.run('init', '--force', '--api-key-env', 'WORK_KEY');
    expect(named.stdout).toContain('key from $WORK_KEY; next: `oxydra doctor`');
    expect(named.stdout + result.stdout).not.toContain('0123456789');
  });

  it('refuses a model id the catalog does not list, and a misspelt provider, writing nothing', () => {
    sandbox = new CliSandbox();
    const path = join(sandbox.workspace, '.oxydra', 'agent.toml');
    // The id a first run would refuse: init says so now, not after the user exported a key.
    const model = sandbox.run('init', '--provider', 'anthropic', '--model', 'claude-haiku-4.5');
    expect(model.status).toBe(2);
    expect(model.stderr).toMatch(
      /^error: unknown model "claude-haiku-4.5" for provider anthropic \(did you mean "claude-haiku-4-5"\?\)$/m,
    );
    expect(model.stderr).toContain('oxydra models list --provider anthropic');
    expect(existsSync(path)).toBe(false);

    // A misspelt provider is named as such, not as one "with no default model".
    const provider = sandbox.run('init', '--provider', 'gemni');
    expect(provider.status).toBe(2);
    expect(provider.stderr).toMatch(
      /^error: --provider: unknown provider "gemni" \(did you mean "gemini"\?\)$/m,
    );
    expect(provider.stderr).toContain('--base-url');
    expect(existsSync(path)).toBe(false);

    // A URL without its scheme: the fix is named, and the file that is not there yet is not.
    const url = sandbox.run('init', '--base-url', 'localhost:11434', '--model', 'llama3.2');
    expect(url.status).toBe(2);
    expect(url.stderr).toMatch(
      /^error: --base-url: providers\.registry\.local\.base_url = "localhost:11434" is not a URL: it needs its scheme, e\.g\. "http:\/\/localhost:11434"$/m,
    );
    expect(existsSync(path)).toBe(false);
    const run = sandbox.run('run', '--base-url', 'localhost:11434', '--model', 'llama3.2', 'hi');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('is not a URL: it needs its scheme, e.g. "http://localhost:11434"');

    // Who turned the catalog check off in their own files gets any id, as a run would take it.
    mkdirSync(join(sandbox.home, '.config', 'oxydra'), { recursive: true });
    writeFileSync(
      join(sandbox.home, '.config', 'oxydra', 'agent.toml'),
      '[catalog]\nskip_catalog_validation = true\n',
    );
    expect(sandbox.run('init', '--provider', 'openai', '--model', 'gpt-9-preview').status).toBe(0);
    rmSync(join(sandbox.home, '.config', 'oxydra', 'agent.toml'));

    // A local server's ids are its own: the catalog does not judge them.
    expect(
      sandbox.run('init', '--force', '--base-url', 'http://127.0.0.1:11434/v1', '--model', 'llama3.3').status,
    ).toBe(0);
  });
});

describe('oxydra doctor', () => {
  it('fails when the selected provider has no credential, saying how to fix it', () => {
    sandbox = new CliSandbox();
    const result = sandbox.run('doctor');
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/\[FAIL\] provider openai +no API key for the selected provider/);
    expect(result.stdout).toContain('fix: set one of: api_key in the config, $OPENAI_API_KEY, $API_KEY');
  });

  it('reports where each key comes from without printing any key', () => {
    sandbox = new CliSandbox({ OPENAI_API_KEY: 'sk-doctor-secret', API_KEY: 'generic-doctor-secret' });
    const result = sandbox.run('doctor', '--json');
    const report = JSON.parse(result.stdout);
    const byName = Object.fromEntries(report.checks.map((c: { name: string }) => [c.name, c]));
    expect(byName['provider openai']).toMatchObject({
      status: 'ok',
      detail: 'key from $OPENAI_API_KEY (selected)',
    });
    expect(byName['provider anthropic']).toMatchObject({ status: 'ok', detail: 'key from $API_KEY' });
    expect(byName.node.status).toBe('ok');
    expect(result.stdout).not.toContain('doctor-secret');
    expect(report.ok).toBe(!report.checks.some((c: { status: string }) => c.status === 'fail'));
  });

  it('fails the selection when the catalog does not list its model, as a run would refuse it', () => {
    sandbox = new CliSandbox({ OPENAI_API_KEY: 'sk-doctor-0123456789' });
    sandbox.write('.oxydra/agent.toml', '[selection]\nprovider = "openai"\nmodel = "gpt-4o-minii"\n');
    const result = sandbox.run('doctor');
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /\[FAIL\] selection +openai \/ gpt-4o-minii: unknown model "gpt-4o-minii" for provider openai \(did you mean "gpt-4o-mini"\?\)/,
    );
    expect(result.stdout).toContain('fix: run `oxydra models list --provider openai`');
    // Not "it runs": the prices line is about a model that can run.
    expect(result.stdout).not.toMatch(/\bcosts\b/);
    expect(sandbox.run('run', 'hi').status).toBe(2);
  });

  it('refuses a base URL carrying a user or password, never repeating the password', () => {
    sandbox = new CliSandbox();
    const url = 'http://me:s3cret-pw-9f2c@127.0.0.1:9/v1';
    for (const args of [
      ['run', '--base-url', url, '--model', 'x', 'hi'],
      ['init', '--base-url', url, '--model', 'x'],
      ['doctor', '--base-url', url, '--model', 'x'],
    ]) {
      const result = sandbox.run(...args);
      expect(result.status, args[0]).toBe(args[0] === 'doctor' ? 1 : 2);
      expect(result.stdout + result.stderr).toMatch(
        /--base-url: providers\.registry\.\w+\.base_url = "http:\/\/me:\*\*\*@127\.0\.0\.1:9\/v1" carries a user name or password/,
      );
      expect(result.stdout + result.stderr).toContain('api_key_env');
      expect(result.stdout + result.stderr).not.toContain('s3cret-pw-9f2c');
    }
    expect(existsSync(join(sandbox.workspace, '.oxydra', 'agent.toml'))).toBe(false);
  });

  it('reports an invalid configuration as a failed check instead of crashing', () => {
    sandbox = new CliSandbox({ OPENAI_API_KEY: 'k' });
    sandbox.write('.oxydra/agent.toml', '[runtime]\nmax_turns = -1\n');
    const result = sandbox.run('doctor');
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/\[FAIL\] config +.*runtime\.max_turns = -1 is out of range/);
  });
});
