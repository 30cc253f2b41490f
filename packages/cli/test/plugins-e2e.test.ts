/**
 * Plugins through the real binary: `oxydra run` with the example git-context plugin and a test
 * plugin that depends on it — the plugin's tool, context provider, evaluator and service all
 * take effect in one run, in dependency order; a throwing plugin does not stop the run;
 * `oxydra plugins list|info`; a cycle is a configuration error (exit 2, one line). A plugin in a
 * folder with no node_modules (a user's project) gets @oxydra/plugin and zod from Oxydra itself.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelFixtures } from '@oxydra/kernel/testing/fixture-paths';
import { gitCommits } from '@oxydra/kernel/testing/helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

const fixtures = kernelFixtures('plugins');
const EXAMPLE = fileURLToPath(new URL('../../../examples/plugins/git-context', import.meta.url));
const load = (entries: Record<string, string>) =>
  Object.entries(entries)
    .map(([name, from]) => `\n[plugins.load.${name}]\nfrom = ${JSON.stringify(from)}\n`)
    .join('');

let env: AgentEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe('plugins', () => {
  it("a run uses the plugins' tool, context, evaluator and service, in dependency order", async () => {
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [
        { reply: { toolCalls: [{ name: 'git_log', arguments: {} }] } },
        { reply: { text: 'the last commit renamed the parser' }, times: 'always' },
      ],
      load({
        'order-probe': join(fixtures, 'order-probe'),
        'git-context': EXAMPLE,
        early: join(fixtures, 'early'),
        broken: join(fixtures, 'broken'),
      }),
    );
    gitCommits(env.workspace, 'rename the parser');
    const run = await env.run(['run', 'what was the last change?']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('the last commit renamed the parser');
    expect(run.stderr).toContain('plugin broken: context provider bad: provider exploded');
    const first = env.mock.requests[0]!.raw;
    expect(first).toContain('Context from git-context/repository:');
    expect(first).toContain('rename the parser');
    expect(first).toContain('the probe says the magic word is PLUM');
    expect(env.mock.requests[1]!.raw).toMatch(/Ada rename the parser/);
    expect(readFileSync(join(env.workspace, 'plugin-trace.log'), 'utf8').trim().split('\n')).toEqual([
      'init early',
      'init order-probe',
      'service start',
      'evaluated completed: the last commit renamed the parser',
      'service stop',
    ]);

    const list = await env.run(['plugins', 'list']);
    expect(list.status).toBe(0);
    // Priority first (early: 10), then by name among equals, each after its dependencies.
    expect(
      list.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(/\s+/).slice(0, 2).join(' ')),
    ).toEqual(['ok early', 'ok broken', 'ok git-context', 'ok order-probe']);
    const info = await env.run(['plugins', 'info', 'git-context']);
    expect(info.stdout).toMatch(/^tools +git_log$/m);
    expect(info.stdout).toMatch(/^health +ok: .*git: git version/m);
    const doctor = await env.run(['doctor']);
    expect(doctor.stdout).toMatch(/^\[ok\] +plugin:git-context +1 tool\(s\).*git: git version/m);
    expect(doctor.stdout).toMatch(/^\[ok\] +plugin:order-probe /m);
    const unknown = await env.run(['plugins', 'info', 'nope']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no plugin "nope" is loaded');
  }, 60_000);

  it('loads in a project that installs nothing: @oxydra/plugin and zod come from Oxydra', async () => {
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [
        { reply: { toolCalls: [{ name: 'git_log', arguments: {} }] } },
        { reply: { text: 'history read' }, times: 'always' },
      ],
      load({ 'git-context': './plugins/git-context' }),
    );
    // The workspace is under the system temp folder: no node_modules on the way up.
    cpSync(EXAMPLE, join(env.workspace, 'plugins', 'git-context'), { recursive: true });
    gitCommits(env.workspace, 'first commit');
    const run = await env.run(['run', '--json', 'show the history']);
    expect(run.stderr).not.toContain('failed to load');
    expect(run.status).toBe(0);
    const ended = run.events.find((event) => event.type === 'tool_execution_end' && event.name === 'git_log');
    expect(ended).toMatchObject({ isError: false, content: expect.stringContaining('first commit') });
  });

  it('a dependency cycle is a configuration error: exit 2, one line naming it', async () => {
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      [{ reply: { text: 'never' } }],
      load({ 'cycle-a': join(fixtures, 'cycle-a'), 'cycle-b': join(fixtures, 'cycle-b') }),
    );
    const run = await env.run(['run', 'hello']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('plugin dependencies form a cycle: cycle-a -> cycle-b -> cycle-a');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(env.mock.requests).toHaveLength(0);
  });
});
