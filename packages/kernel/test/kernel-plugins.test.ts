/**
 * Plugins in a real kernel: loaded from paths, initialised in dependency order (then priority),
 * their tool run through the registry, their context providers' text sent before each model
 * call under their names, their evaluators run after the turn, their services started and
 * stopped with the kernel, their event handlers called; a plugin that throws anywhere is
 * reported and audited and the run goes on; a cycle or a missing dependency is a
 * configuration error naming it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pollUntil } from '@oxydra/testkit/helpers';
import { ConfigError } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, gitCommits, testKernel } from './helpers.js';

afterEach(closeAll);

const fixtures = fileURLToPath(new URL('./fixtures/plugins/', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../examples/plugins/git-context', import.meta.url));
const from = (name: string) => ({ from: join(fixtures, name) });

const trace = (workspace: string) =>
  readFileSync(join(workspace, 'plugin-trace.log'), 'utf8').trim().split('\n');

describe('plugins', () => {
  it('runs tools, context providers, evaluators, services and event handlers, in dependency order', async () => {
    const { kernel, mock, workspace } = await testKernel(
      [
        { reply: { toolCalls: [{ name: 'git_log', arguments: { max_count: 5 } }] } },
        { reply: { text: 'the widget was added last' }, times: 'always' },
      ],
      {
        plugins: {
          load: {
            'order-probe': from('order-probe'),
            'git-context': { from: EXAMPLE, config: { max_commits: 3 } },
            early: from('early'),
          },
        },
      },
    );
    gitCommits(workspace, 'first light', 'add the widget');
    expect(trace(workspace)).toEqual(['init early', 'init order-probe', 'service start']);
    expect(kernel.describe().tools).toContain('git_log');
    const result = await kernel.agents.spawn({ prompt: 'what changed last?' }).result;
    expect(result.status).toBe('completed');

    const first = mock.requests[0]!.raw;
    expect(first).toContain('Context from git-context/repository:');
    expect(first).toContain('add the widget');
    expect(first).toContain('Context from order-probe/probe:\\nthe probe says the magic word is PLUM');
    // The tool's result went back to the model.
    expect(mock.requests[1]!.raw).toMatch(/[0-9a-f]{7} \d{4}-\d\d-\d\d Ada add the widget/);

    const health = kernel.toolSourceHealth().filter((h) => h.name.startsWith('plugin:'));
    expect(health.map((h) => h.name)).toEqual(['plugin:early', 'plugin:git-context', 'plugin:order-probe']);
    expect(health.find((h) => h.name === 'plugin:git-context')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(
        /1 tool\(s\), 1 context provider\(s\), 1 evaluator\(s\); git: git version/,
      ),
    });

    await kernel.close();
    expect(trace(workspace)).toEqual([
      'init early',
      'init order-probe',
      'service start',
      'evaluated completed: the widget was added last',
      'service stop',
    ]);
    const state = (name: string) =>
      execFileSync(
        'node',
        [
          '-e',
          `const {createClient}=require('@libsql/client');createClient({url:'file:${join(workspace, '.oxydra', 'memory.db')}'}).execute("SELECT value FROM kernel_state WHERE category='plugin.git-context' AND name='${name}'").then(r=>console.log(r.rows[0]?.value))`,
        ],
        { cwd: process.cwd(), encoding: 'utf8' },
      ).trim();
    expect(state('turns')).toBe('1');
    expect(JSON.parse(state('last_exit'))).toEqual({ agent: result.agentId, status: 'completed' });
  });

  it('contains a plugin that throws: the run goes on, each failure is reported and audited', async () => {
    const warnings: string[] = [];
    const { kernel, mock } = await testKernel(
      [
        { reply: { toolCalls: [{ name: 'broken_tool', arguments: {} }] } },
        { reply: { text: 'went on anyway' }, times: 'always' },
      ],
      { plugins: { load: { broken: from('broken'), 'broken-init': from('broken-init') } } },
      { warn: (message) => warnings.push(message) },
    );
    expect(kernel.describe().tools).toContain('broken_tool');
    expect(kernel.describe().tools).not.toContain('never_offered');
    const result = await kernel.agents.spawn({ prompt: 'try it' }).result;
    expect(result.status).toBe('completed');
    expect(result.text).toBe('went on anyway');
    expect(mock.requests[1]!.raw).toContain('broken_tool (plugin broken) failed: tool exploded');
    const audit = await kernel.service('audit');
    const parts = async () =>
      (await audit.list({ type: 'plugin_error' })).map(
        (entry) => `${entry.actor} ${(entry.action.data as { part: string }).part}`,
      );
    // Evaluators run in the background, after the reply.
    const expected = [
      'plugin:broken-init init',
      'plugin:broken context provider bad',
      'plugin:broken tool broken_tool',
      'plugin:broken evaluator bad',
      'plugin:broken event handler *',
    ];
    let seen: string[] = [];
    await pollUntil(
      async () => {
        seen = await parts();
        return expected.every((part) => seen.includes(part));
      },
      () => `plugin_error entries for ${expected.join('; ')} (saw ${seen.join('; ')})`,
      { timeoutMs: 1000, intervalMs: 50 },
    );
    expect(warnings).toContain('plugin broken: context provider bad: provider exploded');
    expect(kernel.toolSourceHealth().find((h) => h.name === 'plugin:broken-init')).toEqual({
      name: 'plugin:broken-init',
      ok: false,
      detail: 'init failed: init exploded',
    });
  });

  it('refuses a dependency cycle and a missing dependency as configuration errors naming them', async () => {
    const cycle = testKernel([], {
      plugins: { load: { 'cycle-a': from('cycle-a'), 'cycle-b': from('cycle-b') } },
    });
    await expect(cycle).rejects.toThrow(ConfigError);
    await expect(cycle).rejects.toThrow('plugin dependencies form a cycle: cycle-a -> cycle-b -> cycle-a');
    const missing = testKernel([], { plugins: { load: { 'order-probe': from('order-probe') } } });
    await expect(missing).rejects.toThrow('plugin order-probe depends on git-context, which is not loaded');
    const misnamed = testKernel([], { plugins: { load: { probe: from('order-probe') } } });
    await expect(misnamed).rejects.toThrow('[plugins.load.probe] loads the plugin named "order-probe"');
  });
});
