import { join } from 'node:path';
import { ConfigError, ConfigErrors } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRunnerConfig, loadUserConfig } from '../src/exports/admin.js';
import { loadAgentConfig } from '../src/index.js';
import { makeSandbox, type Sandbox } from './helpers.js';

let sandbox: Sandbox;
afterEach(() => sandbox?.cleanup());

/** Write a workspace agent.toml, load, and return the error messages (or fail if it loads). */
async function errorsFor(toml: string): Promise<{ messages: string[]; file: string }> {
  sandbox = makeSandbox();
  const file = sandbox.write(join(sandbox.workspaceConfig, 'agent.toml'), toml);
  try {
    await loadAgentConfig({ cwd: sandbox.workspace, env: sandbox.env, trust: 'this-run' });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const all = error instanceof ConfigErrors ? error.errors : [error as ConfigError];
    return { messages: all.map((e) => e.message), file };
  }
  throw new Error('expected the configuration to be rejected');
}

describe('configuration validation', () => {
  it('checks the sandbox network allowlist: patterns, and the mode that uses them', async () => {
    const bad = await errorsFor(
      '[tools.sandbox]\nnetwork = "allowlist"\nallow_hosts = ["ok.example.com", "https://x.com/a", "*"]\n',
    );
    expect(bad.messages).toHaveLength(2);
    expect(bad.messages[0]).toMatch(/tools\.sandbox\.allow_hosts\.1.*only the name/);
    expect(bad.messages[1]).toMatch(/tools\.sandbox\.allow_hosts\.2.*network = "on"/);
    const empty = await errorsFor('[tools.sandbox]\nnetwork = "allowlist"\n');
    expect(empty.messages[0]).toMatch(/allow_hosts.*at least one host/);
    const unused = await errorsFor('[tools.sandbox]\nallow_hosts = ["registry.npmjs.org"]\n');
    expect(unused.messages[0]).toMatch(/tools\.sandbox\.network.*set network = "allowlist"/);
  });

  it('checks [scheduler] notify: "<channel>:<chat>" of an enabled channel, one line naming the key and the fix', async () => {
    const telegram = '[channels.telegram]\nenabled = true\nbot_token_env = "T"\n';
    const shape = await errorsFor(`[scheduler]\nnotify = "123456789"\n${telegram}`);
    expect(shape.messages).toHaveLength(1);
    expect(shape.messages[0]).toMatch(
      /scheduler\.notify.*not "<channel>:<chat id>".*fix the value or remove notify/,
    );
    const unknown = await errorsFor(`[scheduler]\nnotify = "irc:42"\n${telegram}`);
    expect(unknown.messages[0]).toMatch(/scheduler\.notify.*no channel "irc"; use one of telegram, slack/);
    const off = await errorsFor('[scheduler]\nnotify = "telegram:42"\n');
    expect(off.messages[0]).toMatch(
      /scheduler\.notify.*\[channels\.telegram\] is not enabled; set enabled = true/,
    );
    // A plugin's channel is named like a built-in one; its section is [channels.plugin.<name>].
    const pluginOff = await errorsFor(
      '[scheduler]\nnotify = "Web-chat:ada"\n[channels.plugin.Web-chat]\nenabled = false\n',
    );
    expect(pluginOff.messages[0]).toMatch(
      /scheduler\.notify.*\[channels\.plugin\.Web-chat\] is not enabled; set enabled = true/,
    );
    for (const message of [...shape.messages, ...unknown.messages, ...off.messages, ...pluginOff.messages])
      expect(message).not.toContain('\n');
    sandbox.cleanup();
    sandbox = makeSandbox();
    sandbox.write(
      join(sandbox.workspaceConfig, 'agent.toml'),
      `[scheduler]\nnotify = "telegram:42:7"\n${telegram}`,
    );
    const { config } = await loadAgentConfig({ cwd: sandbox.workspace, env: sandbox.env, trust: 'this-run' });
    sandbox.write(
      join(sandbox.workspaceConfig, 'agent.toml'),
      '[scheduler]\nnotify = "Web-chat:ada"\n[channels.plugin.Web-chat]\nenabled = true\n',
    );
    const plugin = await loadAgentConfig({ cwd: sandbox.workspace, env: sandbox.env, trust: 'this-run' });
    expect(plugin.config.scheduler.notify).toBe('Web-chat:ada');
    expect(config.scheduler.notify).toBe('telegram:42:7');
  });

  it('reports a TOML syntax error with file, line and column', async () => {
    const { messages, file } = await errorsFor('[runtime]\nmax_turns = 12\nturn_timeout_secs = = 3\n');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+: invalid TOML: `),
    );
  });

  it('rejects an unknown key with a "did you mean" hint naming the file', async () => {
    const { messages, file } = await errorsFor('[runtime]\nmax_turn = 12\n');
    expect(messages).toEqual([`${file}: unknown key "runtime.max_turn" (did you mean "max_turns"?)`]);
  });

  it('lists the allowed keys when nothing is close', async () => {
    const { messages } = await errorsFor('[reliability]\nzzz = 1\n');
    expect(messages[0]).toContain(
      'unknown key "reliability.zzz"; allowed here: max_attempts, backoff_base_ms',
    );
  });

  it('rejects an unknown section', async () => {
    const { messages } = await errorsFor('[selecton]\nmodel = "x"\n');
    expect(messages[0]).toContain('unknown key "selecton" (did you mean "selection"?)');
  });

  it('rejects a wrong type with the key path, the value and what is expected', async () => {
    const { messages, file } = await errorsFor('[runtime]\nmax_turns = "ten"\n');
    expect(messages).toEqual([`${file}: runtime.max_turns = "ten" expected a number`]);
  });

  it('rejects a ratio outside [0, 1]', async () => {
    const { messages, file } = await errorsFor('[runtime.context_budget]\ntrigger_ratio = 1.5\n');
    expect(messages).toEqual([
      `${file}: runtime.context_budget.trigger_ratio = 1.5 is out of range: must be <= 1`,
    ]);
  });

  it('rejects an enum value, listing the allowed ones', async () => {
    const { messages } = await errorsFor('[tools]\napproval = "sometimes"\n');
    expect(messages[0]).toContain(
      'tools.approval = "sometimes" is not allowed: use one of "auto", "ask", "deny"',
    );
  });

  it('requires memory.auth_token when memory.remote_url is set', async () => {
    const { messages, file } = await errorsFor('[memory]\nremote_url = "libsql://db.example.turso.io"\n');
    expect(messages).toEqual([
      `${file}: memory.auth_token = (missing) memory.remote_url is set, so memory.auth_token is required (the remote libSQL server needs it)`,
    ]);
  });

  it('accepts memory.remote_url with an auth_token', async () => {
    sandbox = makeSandbox();
    sandbox.write(
      join(sandbox.workspaceConfig, 'agent.toml'),
      '[memory]\nremote_url = "libsql://db.example.turso.io"\nauth_token = "tok"\n',
    );
    const { config } = await loadAgentConfig({ cwd: sandbox.workspace, env: sandbox.env, trust: 'this-run' });
    expect(config.memory.remote_url).toBe('libsql://db.example.turso.io');
  });

  it('rejects config_version with a major other than 1', async () => {
    const { messages, file } = await errorsFor('config_version = "2.0.0"\n');
    expect(messages).toEqual([
      `${file}: config_version = "2.0.0" major version must be 1 (this Oxydra reads config_version 1.x.y)`,
    ]);
  });

  it('rejects retrieval weights that do not sum to 1', async () => {
    const { messages } = await errorsFor('[memory.retrieval]\nvector_weight = 0.5\nfts_weight = 0.3\n');
    expect(messages[0]).toContain('must sum to 1.0');
  });

  it('rejects backoff_base_ms above backoff_max_ms', async () => {
    const { messages } = await errorsFor('[reliability]\nbackoff_base_ms = 5000\nbackoff_max_ms = 100\n');
    expect(messages[0]).toContain('backoff_base_ms (5000) must not exceed backoff_max_ms (100)');
  });

  it('rejects a selection whose provider is not in the registry', async () => {
    const { messages } = await errorsFor('[selection]\nprovider = "opneai"\n');
    expect(messages[0]).toContain('selection.provider = "opneai" is not a provider of [providers.registry]');
  });

  it('rejects a fallback and an agent pointing at unknown providers', async () => {
    const { messages } = await errorsFor(
      '[selection]\nfallbacks = [{ provider = "nope", model = "m" }]\n[agents.coder.selection]\nprovider = "nada"\n',
    );
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain('selection.fallbacks.0.provider = "nope"');
    expect(messages[1]).toContain('agents.coder.selection.provider = "nada"');
  });

  it('reports every problem at once', async () => {
    const { messages } = await errorsFor(
      '[runtime]\nmax_turns = 0\nturn_timeout_secs = -1\n[memory]\nenabled = "yes"\n',
    );
    expect(messages).toHaveLength(3);
  });

  it('never prints a secret value in an error', async () => {
    const { messages } = await errorsFor(
      '[providers.registry.openai]\nprovider_type = "openai"\napi_key = 12345678\n',
    );
    expect(messages[0]).toContain('providers.registry.openai.api_key = ******** expected a string');
    expect(messages[0]).not.toContain('12345678');
  });

  it('refuses a base_url carrying credentials, masking them, a lone user (a token) too', async () => {
    const { messages } = await errorsFor(
      '[providers.registry.a]\nprovider_type = "openai"\nbase_url = "https://sk-live-4f9a@proxy.example/v1"\n' +
        '[tools.web_search]\nbase_url = "http://me:pw-77c1@127.0.0.1:8888"\n',
    );
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain(
      'providers.registry.a.base_url = "https://***@proxy.example/v1" carries a user name or password',
    );
    expect(messages[1]).toContain(
      'base_url = "http://me:***@127.0.0.1:8888" carries a user name or password',
    );
    expect(messages.join('\n')).not.toMatch(/sk-live-4f9a|pw-77c1/);
    // Typed without its scheme: not a URL, and the password is not repeated either.
    const bare = await errorsFor(
      '[providers.registry.a]\nprovider_type = "openai"\nbase_url = "me:pw-31d8@10.0.0.2:8000"\n',
    );
    expect(bare.messages[0]).toContain('base_url = "me:***@10.0.0.2:8000" is not a URL');
    expect(bare.messages[0]).not.toContain('pw-31d8');
  });

  it('names the right file when the bad value comes from a lower layer', async () => {
    sandbox = makeSandbox();
    const userFile = sandbox.write(join(sandbox.userConfig, 'agent.toml'), '[runtime]\nmax_turns = -5\n');
    sandbox.write(join(sandbox.workspaceConfig, 'agent.toml'), '[runtime]\nturn_timeout_secs = 30\n');
    await expect(
      loadAgentConfig({ cwd: sandbox.workspace, env: sandbox.env, trust: 'this-run' }),
    ).rejects.toThrow(`${userFile}: runtime.max_turns = -5 is out of range: must be > 0`);
  });
});

describe('runner and user files', () => {
  function writeRunner(runnerToml: string, userToml: string) {
    sandbox = makeSandbox();
    const runner = sandbox.write(
      join(sandbox.workspaceConfig, 'runner.toml'),
      `${runnerToml}\n[users.alice]\nconfig_path = "users/alice.toml"\n`,
    );
    const user = sandbox.write(join(sandbox.workspaceConfig, 'users', 'alice.toml'), userToml);
    return { runner, user };
  }

  it('loads a runner with its users, resolving config paths beside runner.toml', async () => {
    const { runner, user } = writeRunner(
      'default_tier = "process"',
      '[behavior]\nsandbox_tier = "container"\nshell_enabled = false\n',
    );
    const loaded = await loadRunnerConfig(runner);
    expect(loaded.runner.workspace_root).toBe('.oxydra/workspaces');
    expect(loaded.users.alice?.path).toBe(user);
    expect(loaded.users.alice?.config.behavior).toEqual({
      sandbox_tier: 'container',
      shell_enabled: false,
      timezone: 'UTC',
    });
  });

  it('rejects a user file that widens the isolation tier', async () => {
    const { runner, user } = writeRunner(
      'default_tier = "container"',
      '[behavior]\nsandbox_tier = "process"\n',
    );
    await expect(loadRunnerConfig(runner)).rejects.toThrow(
      `${user}: behavior.sandbox_tier = "process" is weaker than the runner's default_tier "container" (user files may only restrict)`,
    );
  });

  it('rejects a user file that raises a resource limit above the runner ceiling', async () => {
    const { runner, user } = writeRunner(
      '[limits]\nmax_memory_mib = 1024',
      '[resources]\nmax_memory_mib = 4096\n',
    );
    await expect(loadRunnerConfig(runner)).rejects.toThrow(
      `${user}: resources.max_memory_mib = 4096 exceeds the runner's limits.max_memory_mib = 1024 (user files may only restrict)`,
    );
  });

  it('rejects a user file that enables a capability the runner switched off', async () => {
    const { runner } = writeRunner('[limits]\nshell_enabled = false', '[behavior]\nshell_enabled = true\n');
    await expect(loadRunnerConfig(runner)).rejects.toThrow(
      /behavior\.shell_enabled = true but the runner sets limits\.shell_enabled = false/,
    );
  });

  it('accepts a user file that stays within the limits', async () => {
    const { runner } = writeRunner('[limits]\nmax_vcpus = 4', '[resources]\nmax_vcpus = 2\n');
    const loaded = await loadRunnerConfig(runner);
    expect(loaded.users.alice?.config.resources?.max_vcpus).toBe(2);
  });

  it('rejects zero resources and unknown keys in a user file', async () => {
    sandbox = makeSandbox();
    const user = sandbox.write(
      join(sandbox.root, 'users', 'bob.toml'),
      '[resources]\nmax_vcpus = 0\n[behaviour]\n',
    );
    await expect(loadUserConfig(user)).rejects.toThrow(ConfigErrors);
    await expect(loadUserConfig(user)).rejects.toThrow(
      /resources\.max_vcpus = 0 is out of range[\s\S]*unknown key "behaviour" \(did you mean "behavior"\?\)/,
    );
  });

  it('reports a missing user file by path', async () => {
    sandbox = makeSandbox();
    const runner = sandbox.write(
      join(sandbox.root, 'runner.toml'),
      '[users.carol]\nconfig_path = "users/carol.toml"\n',
    );
    await expect(loadRunnerConfig(runner)).rejects.toThrow(
      `${join(sandbox.root, 'users', 'carol.toml')}: file not found`,
    );
  });
});
