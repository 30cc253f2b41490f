/**
 * Issue 11, item 11: the small things a user meets in the first hour, each through the real
 * binary: recall without unrelated padding, a workspace found from a subfolder, did-you-mean
 * for --provider, an unenforceable --max-cost refused up front, OXYDRA_ variables missing an
 * underscore, a cancel that is not reported as a failure, and the runner.toml hint.
 */
import { chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil, processesWith, uniqueSleep } from '@oxydra/testkit/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv } from './agent-env.js';
import { CliSandbox, IS_ROOT } from './helpers.js';
import { trustWorkspace } from './trust-helpers.js';

let env: AgentEnv | undefined;
let sandbox: CliSandbox | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
  sandbox?.cleanup();
  sandbox = undefined;
});

const OPENAI = { type: 'openai' as const, api: 'openai-chat' as const };

describe('the first hour', () => {
  it('memory search leaves out unrelated notes instead of padding to top_k', () => {
    sandbox = new CliSandbox();
    expect(sandbox.run('memory', 'add', 'The staging server is called bluefin').status).toBe(0);
    expect(sandbox.run('memory', 'add', 'Pizza recipe: flour, water, yeast, tomatoes').status).toBe(0);
    const result = sandbox.run('memory', 'search', '--json', 'which staging server');
    expect(result.status).toBe(0);
    const hits = JSON.parse(result.stdout) as { text: string }[];
    expect(hits.map((hit) => hit.text)).toEqual(['The staging server is called bluefin']);
  });

  it('oxydra run from a subfolder uses the workspace whose .oxydra/ is above, and says so', async () => {
    env = await AgentEnv.start(OPENAI, [
      { reply: { toolCalls: [{ name: 'file_list', arguments: {} }] } },
      { reply: { text: 'listed' } },
    ]);
    env.sandbox.write('top.txt', 'at the root');
    env.cwd = join(env.workspace, 'src', 'deep');
    mkdirSync(env.cwd, { recursive: true });
    // The walk up adopts only folders of the user running the command (or root's): here, as
    // the tests run, that is the workspace's owner. (Another user's is refused: discovery tests.)
    if (IS_ROOT) {
      for (const path of [env.workspace, join(env.workspace, '.oxydra')]) chownSync(path, 0, 0);
      trustWorkspace(env.workspace, env.sandbox.env);
    }
    const result = await env.run(['run', 'list the files']);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`workspace: ${env.workspace} (its .oxydra/ is ../.. from here)`);
    // The mock entry is configured only in the root's .oxydra/agent.toml, and file_list ran at the root.
    expect(env.requestText(1)).toContain('top.txt');
  });

  // One `oxydra run` in ~ leaves ~/.oxydra/: a project folder below without its own is then
  // worked on as part of the whole home folder, which must be said before an agent edits there.
  it('oxydra run below a home folder holding the nearest .oxydra/ says the workspace is the whole home folder', async () => {
    env = await AgentEnv.start(OPENAI, [{ reply: { text: 'done' } }]);
    env.sandbox.env = { ...env.sandbox.env, HOME: env.workspace };
    env.cwd = join(env.workspace, 'project');
    mkdirSync(env.cwd);
    if (IS_ROOT) for (const path of [env.workspace, join(env.workspace, '.oxydra')]) chownSync(path, 0, 0);
    trustWorkspace(env.workspace, env.sandbox.env);
    const result = await env.run(['run', 'hi']);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(
      `workspace: your whole home folder ${env.workspace} (its .oxydra/ is .. from here); for a workspace of this folder alone, run \`oxydra init\` here\n`,
    );
  });

  it('a misspelt --provider gets a did-you-mean, exit 2', () => {
    sandbox = new CliSandbox({ ANTHROPIC_API_KEY: 'k' });
    const result = sandbox.run('run', '--provider', 'anthropc', 'hi');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'selection.provider = "anthropc" is not a provider of [providers.registry] (did you mean "anthropic"?)',
    );
    const models = sandbox.run('models', 'list', '--provider', 'opena');
    expect(models.status).toBe(2);
    expect(models.stderr).toContain('unknown provider "opena" (did you mean "openai"?)');
  });

  it('--max-cost for a model without prices is a usage error before any session or call', async () => {
    env = await AgentEnv.start(OPENAI, [{ reply: { text: 'never' }, times: 'always' }]);
    env.sandbox.write(
      '.oxydra/agent.toml',
      `[selection]\nprovider = "local"\nmodel = "llama3.2"\n\n[providers.registry.local]\nprovider_type = "openai"\nbase_url = "${env.mock.url}"\n`,
    );
    const result = await env.run(['run', '--max-cost', '0.10', 'hi']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /^error: --max-cost is set \(\$0\.1000\) but the prices of model "llama3\.2"/,
    );
    expect(result.stderr).toContain('set free = true on [providers.registry.local]');
    expect(result.stderr).not.toContain('session');
    expect(env.mock.requests).toHaveLength(0);
    expect((await env.run(['sessions', 'list'])).stdout).toContain('no sessions yet');
  });

  it('warns about OXYDRA_ variables missing the double underscore, not about its own', () => {
    sandbox = new CliSandbox({
      OXYDRA_RUNTIME__MAX_TURNS: '3',
      OXYDRA_MEMORY_ENABLED: 'false',
      OXYDRA_DEBUG: '',
    });
    const result = sandbox.run('config', 'show', '--json');
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(
      'warning: OXYDRA_RUNTIME__MAX_TURNS is ignored: configuration variables start with OXYDRA__ (two underscores), e.g. OXYDRA__RUNTIME__MAX_TURNS',
    );
    expect(result.stderr).toContain('warning: OXYDRA_MEMORY_ENABLED is ignored');
    expect(result.stderr).toContain('e.g. OXYDRA__MEMORY__ENABLED');
    expect(result.stderr).not.toContain('OXYDRA_DEBUG');
  });

  it('Ctrl+C: the run ends with "cancelled" and exit 130, the session to continue, no "run failed", no "? in / ? out"', async () => {
    const marker = uniqueSleep();
    env = await AgentEnv.start(OPENAI, [
      { reply: { toolCalls: [{ name: 'shell_exec', arguments: { command: `sleep ${marker}` } }] } },
      { reply: { text: 'not reached' }, times: 'always' },
    ]);
    const result = await env.run(['run', 'wait'], async (child) => {
      await pollUntil(() => processesWith(`sleep ${marker}`).length >= 1, 'the command to start', {
        timeoutMs: 20_000,
      });
      child.kill('SIGINT');
    });
    expect(result.status).toBe(130);
    expect(result.stderr).toMatch(/^cancelled: 1 model call · /m);
    expect(result.stderr).toMatch(/^session \w+ \(continue with --session \w+\)$/m);
    expect(result.stderr).not.toContain('run failed');
    expect(result.stderr).not.toContain('? in');
  });

  it('a missing runner.toml points at the quick start, not at `oxydra init`', () => {
    sandbox = new CliSandbox();
    const result = sandbox.run('runner', 'status');
    expect(result.stderr).toContain('runner.toml: file not found');
    expect(result.stderr).toContain("the README's runner quick start");
    expect(result.stderr).not.toContain('oxydra init');
  });
});
