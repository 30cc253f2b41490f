/**
 * `oxydra schedule add --spec` with the real binary and the testkit's mock model: the schedule
 * keeps its goal, constraints and criteria (`schedule show`), a run of it is a spec run (the
 * first attempt fails its file criterion, the retry writes the file) whose outcome per criterion
 * is in `schedule history`; a `test:` criterion is refused where commands need approval, as a
 * malformed criterion is (exit 2, one line).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

const USAGE = { input: 100, output: 20 };

describe('spec schedules from the CLI', () => {
  let env: AgentEnv;
  beforeAll(async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [
      { match: { lastToolResultContains: 'report.md' }, reply: { text: 'Wrote it.', usage: USAGE } },
      {
        match: { lastMessageContains: 'did not meet' },
        reply: {
          toolCalls: [{ name: 'file_write', arguments: { path: 'report.md', content: 'ok\n' } }],
          usage: USAGE,
        },
      },
      { reply: { text: 'Done, I think.', usage: USAGE }, times: 'always' },
    ]);
  });
  afterAll(() => env.close());

  it('adds, shows and runs a spec schedule; history says how each criterion went', async () => {
    const add = await env.run([
      'schedule',
      'add',
      '--every',
      '1d',
      '--name',
      'report',
      '--goal',
      'the daily report exists',
      '--constraint',
      'be brief',
      '--criterion',
      'file: report.md exists',
      '--max-attempts',
      '2',
      'write the daily report to report.md',
    ]);
    expect(add.status, add.stderr).toBe(0);
    expect(add.stdout).toContain('each run is a spec run: 1 acceptance criteria\n');
    const show = await env.run(['schedule', 'show', 'report']);
    expect(show.stdout).toContain('spec      1 criteria, 2 attempts\n');
    expect(show.stdout).toContain('goal      the daily report exists\n');
    expect(show.stdout).toContain('constraintbe brief\n');
    expect(show.stdout).toContain('criterion file: report.md exists\n');

    const run = await env.run(['schedule', 'run-now', 'report']);
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(join(env.workspace, 'report.md'), 'utf8')).toBe('ok\n');
    const history = await env.run(['schedule', 'history', 'report', '--json']);
    const [last] = JSON.parse(history.stdout) as { status: string; output: string; spec: unknown }[];
    expect(last).toMatchObject({
      status: 'completed',
      spec: { passed: true, attempts: 2, results: [{ id: 'c1', kind: 'file', passed: true }] },
    });
    expect(last!.output).toContain('spec passed after 2 attempt(s)');
    // The first attempt was told the goal apart from the request.
    expect(env.requestText(0)).toContain('Goal: the daily report exists');
    const lines = await env.run(['schedule', 'history', 'report']);
    expect(lines.stdout).toContain('spec passed 1/1');
  }, 60_000);

  it('refuses a test: criterion where commands need approval, and a malformed criterion', async () => {
    const config = join(env.workspace, '.oxydra/agent.toml');
    env.sandbox.write('.oxydra/agent.toml', readFileSync(config, 'utf8').replace('"auto"', '"ask"'));
    const command = await env.run(['schedule', 'add', '--every', '1h', '--criterion', 'test: npm test', 'x']);
    expect(command.status).toBe(2);
    expect(command.stderr).toContain('a "test:" acceptance criterion runs a command without approval');
    expect(command.stderr).not.toMatch(/\n\s+at /);
    const malformed = await env.run(['schedule', 'add', '--every', '1h', '--criterion', 'file:', 'x']);
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toContain('criterion "file:" names nothing to check');
    const list = await env.run(['schedule', 'list', '--json']);
    expect((JSON.parse(list.stdout) as unknown[]).length).toBe(1);
  }, 60_000);
});
