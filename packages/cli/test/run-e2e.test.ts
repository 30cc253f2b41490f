/**
 * `oxydra run` end to end on each wire API a mock server speaks: the real binary, the testkit's
 * mock of the API, real files in a temp workspace, real subprocesses.
 *
 * The tests of a run that completes share one run per API (its model makes each test's calls in
 * turn; each test checks its own calls' results and the request after them); the runs that end
 * otherwise (budgets, auth, SIGINT) are one each.
 *
 * What does not depend on the wire API is in run-options-e2e.test.ts: a file of its own, so that
 * the two workers can share them. The tests stay one at a time: each is bound by its binary's CPU,
 * so side by side (describe.concurrent) they took no less time on a loaded machine, and each
 * test's runs came nearer their timeout.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil, processesLeftBehind, processesWith, uniqueSleep } from '@oxydra/testkit/helpers';
import type { RunEndEvent, StreamEvent } from '@oxydra/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS, E2E_KEY, type RunOutput } from './agent-env.js';

function outcome(events: StreamEvent[]): RunEndEvent {
  const last = events.at(-1);
  if (!last || (last.type !== 'run_completed' && last.type !== 'run_failed')) {
    throw new Error(`the last JSON line is not the run's outcome: ${JSON.stringify(last)}`);
  }
  return last;
}

describe.each(E2E_APIS)('oxydra run on $api', (target) => {
  // One run whose model makes, in turn, the calls of the tests below it (one turn each; the
  // request after a turn carries its results): a request index names the request after a call.
  const timedOut = uniqueSleep();
  let env: AgentEnv;
  let result: RunOutput;
  beforeAll(async () => {
    env = await AgentEnv.start(
      target,
      [
        // 0-2: create, edit and read a file; request 3 carries the read.
        {
          reply: {
            toolCalls: [
              { name: 'file_write', arguments: { path: 'notes/list.txt', content: 'alpha\nbeta\n' } },
            ],
          },
        },
        {
          reply: {
            toolCalls: [
              {
                name: 'file_edit',
                arguments: { path: 'notes/list.txt', old_text: 'beta', new_text: 'gamma' },
              },
            ],
          },
        },
        { reply: { toolCalls: [{ name: 'file_read', arguments: { path: 'notes/list.txt' } }] } },
        // 3-4: a call missing an argument, then the corrected call; request 4 carries the error.
        { reply: { toolCalls: [{ name: 'file_write', arguments: { path: 'fixed.txt' } }] } },
        {
          reply: {
            toolCalls: [{ name: 'file_write', arguments: { path: 'fixed.txt', content: 'now complete' } }],
          },
        },
        // 5: an ambiguous edit; request 6 carries its result.
        {
          reply: {
            toolCalls: [
              { name: 'file_edit', arguments: { path: 'dup.txt', old_text: 'same', new_text: 'other' } },
            ],
          },
        },
        // 6: a read outside the workspace; request 7 carries the refusal.
        { reply: { toolCalls: [{ name: 'file_read', arguments: { path: '../secret.txt' } }] } },
        // 7: two reads in one turn; request 8 carries both.
        {
          reply: {
            toolCalls: [
              { name: 'file_read', arguments: { path: 'a.txt' } },
              { name: 'file_read', arguments: { path: 'b.txt' } },
            ],
          },
        },
        // 8: a command past its timeout (command_timeout_secs = 1); request 9 carries the timeout.
        {
          reply: {
            toolCalls: [
              { name: 'shell_exec', arguments: { command: `sleep ${timedOut} & sleep ${timedOut}` } },
            ],
          },
        },
        { reply: { text: 'Finished: the list now ends with gamma.', usage: { input: 300, output: 12 } } },
      ],
      '\n[tools.shell]\ncommand_timeout_secs = 1\n',
    );
    writeFileSync(join(env.workspace, 'dup.txt'), 'same\nsame\n');
    writeFileSync(join(env.sandbox.root, 'secret.txt'), 'TOP-SECRET-CONTENT');
    writeFileSync(join(env.workspace, 'a.txt'), 'CONTENT-OF-A');
    writeFileSync(join(env.workspace, 'b.txt'), 'CONTENT-OF-B');
    result = await env.run(['run', '--json', 'Make a list and fix it']);
  }, 120_000);
  afterAll(async () => {
    await env?.close();
  });

  /** The tool results of the shared run, in order. */
  const ends = () => result.events.filter((e) => e.type === 'tool_execution_end');

  it('creates and edits files, sends tool output back to the model, and ends with the outcome line', () => {
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readFileSync(join(env.workspace, 'notes/list.txt'), 'utf8')).toBe('alpha\ngamma\n');
    const end = outcome(result.events);
    expect(end).toMatchObject({
      type: 'run_completed',
      text: 'Finished: the list now ends with gamma.',
      turns: 10,
    });
    expect(end.costUsd).toBeGreaterThan(0);
    expect(env.mock.requests).toHaveLength(10);
    // The file_read result (the edited content) reached the model in the next request.
    expect(env.requestText(3)).toMatch(/alpha\\ngamma/);
    expect(env.requestText(0)).toContain('Make a list and fix it');
  });

  it('stops at the turn budget with exit code 1', async ({ onTestFinished }) => {
    const env = await AgentEnv.startFor(onTestFinished, target, [
      { reply: { toolCalls: [{ name: 'file_list', arguments: {} }] }, times: 'always' },
    ]);
    const result = await env.run(['run', '--json', '--max-turns', '2', 'List forever']);
    expect(result.status).toBe(1);
    const end = outcome(result.events);
    expect(end.type).toBe('run_failed');
    expect(end.error?.code).toBe('budget_exceeded');
    expect(end.error?.message).toMatch(/turn/i);
    expect(end.turns).toBe(2);
    expect(env.mock.requests).toHaveLength(2);
  });

  it('stops at the dollar budget with exit code 1', async ({ onTestFinished }) => {
    // gpt-4o-mini at $0.15 per million input tokens: 200k tokens cost $0.03 per call.
    const env = await AgentEnv.startFor(onTestFinished, target, [
      {
        reply: { toolCalls: [{ name: 'file_list', arguments: {} }], usage: { input: 200_000, output: 10 } },
        times: 'always',
      },
    ]);
    const result = await env.run(['run', '--json', '--max-cost', '0.05', 'Spend money']);
    expect(result.status).toBe(1);
    const end = outcome(result.events);
    expect(end.error?.code).toBe('budget_exceeded');
    expect(end.error?.message).toMatch(/cost|\$/i);
    expect(end.costUsd).toBeGreaterThan(0.05);
    expect(end.costUsd).toBeLessThan(0.1);
  });

  it('fails at once on a provider auth error, naming the key source but not the key', async ({
    onTestFinished,
  }) => {
    const env = await AgentEnv.startFor(onTestFinished, target, [
      { fault: { status: 401 }, times: 'always' },
    ]);
    const human = await env.run(['run', 'Hello']);
    expect(human.status).toBe(1);
    expect(human.stderr).toContain('$MOCK_KEY');
    expect(human.stderr + human.stdout).not.toContain(E2E_KEY);
    const json = await env.run(['run', '--json', 'Hello']);
    const end = outcome(json.events);
    expect(end.error).toMatchObject({ code: 'provider_error', kind: 'auth' });
    expect(env.mock.requests).toHaveLength(2); // one per run: auth errors are not retried
  });

  it('is cancelled by SIGINT, killing the running command and leaving no process behind', async ({
    onTestFinished,
  }) => {
    const marker = uniqueSleep();
    const env = await AgentEnv.startFor(onTestFinished, target, [
      {
        reply: {
          toolCalls: [
            { name: 'shell_exec', arguments: { command: `sleep ${marker} & sleep ${marker}; echo never` } },
          ],
        },
      },
      { reply: { text: 'not reached' }, times: 'always' },
    ]);
    const result = await env.run(['run', '--json', 'Wait a long time'], async (child, output) => {
      await pollUntil(
        () => output().includes('"tool_execution_start"') && processesWith(`sleep ${marker}`).length >= 2,
        'the command to start',
        { timeoutMs: 20_000 },
      );
      child.kill('SIGINT');
    });
    expect(result.status).toBe(130);
    expect(outcome(result.events).error?.code).toBe('cancelled');
    expect(await processesLeftBehind(`sleep ${marker}`)).toEqual([]);
  });

  it('hands invalid tool arguments back and accepts the corrected call', () => {
    expect(result.status).toBe(0);
    expect(readFileSync(join(env.workspace, 'fixed.txt'), 'utf8')).toBe('now complete');
    expect(ends()[3]).toMatchObject({ name: 'file_write', isError: true });
    expect(env.requestText(4)).toMatch(/content/);
    expect(env.requestText(4)).toMatch(/[Ii]nvalid arguments/);
  });

  it('reports an ambiguous edit snippet to the model without changing the file', () => {
    expect(result.status).toBe(0);
    expect(readFileSync(join(env.workspace, 'dup.txt'), 'utf8')).toBe('same\nsame\n');
    const edit = ends()[5];
    expect(edit).toMatchObject({ name: 'file_edit', isError: true });
    expect(edit?.type === 'tool_execution_end' && edit.content).toMatch(/2/);
    expect(env.requestText(6)).toMatch(/2 (matches|places|occurrences|times)/);
  });

  it('refuses a path that escapes the workspace', () => {
    expect(result.status).toBe(0);
    const read = ends()[6];
    expect(read).toMatchObject({ name: 'file_read', isError: true });
    expect(env.requestText(7)).toMatch(/escapes the workspace/);
    expect(result.stdout).not.toContain('TOP-SECRET-CONTENT');
    // The last request carries the whole conversation.
    expect(env.requestText(9)).not.toContain('TOP-SECRET-CONTENT');
  });

  it('times out a shell command and kills its whole process group', async () => {
    expect(result.status).toBe(0);
    const shell = ends()[9];
    expect(shell).toMatchObject({ name: 'shell_exec', isError: true });
    expect(env.requestText(9)).toMatch(/timed out/i);
    expect(await processesLeftBehind(`sleep ${timedOut}`)).toEqual([]);
  });

  it('runs read-only calls in parallel and returns both results in one follow-up request', () => {
    expect(result.status).toBe(0);
    // One request per turn: the two reads' results came back in one (request 8), not one each.
    expect(env.mock.requests).toHaveLength(10);
    expect(env.requestText(7)).not.toContain('CONTENT-OF-A');
    expect(env.requestText(8)).toContain('CONTENT-OF-A');
    expect(env.requestText(8)).toContain('CONTENT-OF-B');
    const types = result.events
      .filter((e) => e.type === 'tool_execution_start' || e.type === 'tool_execution_end')
      .map((e) => e.type);
    // Both calls start before either ends: they ran as one parallel batch.
    expect(types.slice(14, 18)).toEqual([
      'tool_execution_start',
      'tool_execution_start',
      'tool_execution_end',
      'tool_execution_end',
    ]);
    expect(ends().slice(7, 9)).toMatchObject([
      { name: 'file_read', isError: false },
      { name: 'file_read', isError: false },
    ]);
  });
});
