/**
 * replaySession: a stored multi-tool, multi-turn session re-run against its recorded model
 * replies with the model server gone: the same tool calls, results and final text; the file
 * tools run in a scratch copy (the workspace is untouched) while memory_save answers from the
 * recording; a file changed since is a divergence naming the call when replayed on today's files
 * (from: 'now'); a limit that stops the run early is one too.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioStep } from '@oxydra/testkit';
import type { AgentConfig } from '@oxydra/types';
import { afterEach, describe, expect, it } from 'vitest';
import { replaySession } from '../src/replay/index.js';
import { closeAll, type TestKernel, testKernel } from './helpers.js';

afterEach(closeAll);

const STEPS: ScenarioStep[] = [
  { match: { callIndex: 0 }, reply: { toolCalls: [{ name: 'file_read', arguments: { path: 'a.txt' } }] } },
  {
    match: { callIndex: 1 },
    reply: {
      text: 'Copying it.',
      toolCalls: [
        { name: 'file_write', arguments: { path: 'b.txt', content: 'copy of a\n' } },
        { name: 'memory_save', arguments: { content: 'a.txt was copied to b.txt' } },
      ],
    },
  },
  { match: { callIndex: 2 }, reply: { text: 'Done: b.txt holds the copy.' } },
  // The second turn.
  { match: { callIndex: 3 }, reply: { toolCalls: [{ name: 'file_list', arguments: { path: '.' } }] } },
  { match: { callIndex: 4 }, reply: { text: 'There are a.txt and b.txt.' } },
];

/** Records a two-turn session, then closes the kernel and the model server. */
async function recorded(): Promise<{ test: TestKernel; sessionId: string; config: AgentConfig }> {
  const test = await testKernel(STEPS);
  writeFileSync(join(test.workspace, 'a.txt'), 'hello from a\n');
  const first = await test.kernel.agents.spawn({ prompt: 'copy a.txt to b.txt' }).result;
  expect(first.status).toBe('completed');
  const second = await test.kernel.agents.spawn({ prompt: 'what is here now?', sessionId: first.sessionId! })
    .result;
  expect(second.status).toBe('completed');
  expect(test.mock.requests).toHaveLength(5);
  const config = test.kernel.config;
  await test.kernel.close();
  await test.mock.close();
  return { test, sessionId: first.sessionId!, config };
}

describe('replaySession', () => {
  it('reproduces the tool calls, results and final texts offline, in a scratch copy', async () => {
    const { test, sessionId, config } = await recorded();
    // The run's own output goes away: the replay must make it again in its copy.
    rmSync(join(test.workspace, 'b.txt'));
    const report = await replaySession({
      workspace: test.workspace,
      config,
      session: sessionId.slice(-8),
      warn: () => {},
    });
    expect(report.divergences).toEqual([]);
    expect(report.identical).toBe(true);
    expect(report.sessionId).toBe(sessionId);
    expect(report.modelCalls).toEqual({ recorded: 5, replayed: 5 });
    expect(report.turns.map((turn) => turn.prompt)).toEqual(['copy a.txt to b.txt', 'what is here now?']);
    const [one, two] = report.turns;
    expect(one!.replayed.calls.map((call) => [call.name, call.fromRecording])).toEqual([
      ['file_read', false],
      ['file_write', false],
      ['memory_save', true],
    ]);
    expect(one!.replayed.calls[0]!.result).toContain('hello from a');
    expect(one!.replayed.text).toBe('Done: b.txt holds the copy.');
    expect(two!.replayed.calls[0]!.result).toContain('b.txt');
    expect(two!.replayed.text).toBe('There are a.txt and b.txt.');
    expect(report.fromRecording).toEqual(['memory_save']);
    // Tools ran in the copy, which is gone; the workspace is as it was.
    expect(report.inPlace).toBe(false);
    expect(report.workspace).not.toBe(test.workspace);
    expect(existsSync(report.workspace)).toBe(false);
    expect(existsSync(join(test.workspace, 'b.txt'))).toBe(false);
    // Nothing reached the (closed) model server; the cassette is a scenario the mock can serve.
    expect(test.mock.requests).toHaveLength(5);
    expect(report.cassette.steps).toHaveLength(5);
    expect(report.cassette.steps[1]!.reply?.toolCalls?.map((call) => call.name)).toEqual([
      'file_write',
      'memory_save',
    ]);
  });

  it('names the call whose result differs when the workspace changed (replayed from now)', async () => {
    const { test, sessionId, config } = await recorded();
    writeFileSync(join(test.workspace, 'a.txt'), 'goodbye from a\n');
    rmSync(join(test.workspace, 'b.txt'));
    const report = await replaySession({
      workspace: test.workspace,
      config,
      session: sessionId,
      from: 'now',
      warn: () => {},
    });
    expect(report.identical).toBe(false);
    expect(report.divergences.map((d) => d.message)).toHaveLength(1);
    const [divergence] = report.divergences;
    expect(divergence).toMatchObject({ turn: 1, call: 1, kind: 'tool_result' });
    expect(divergence!.message).toMatch(/file_read \{"path":"a.txt"\} answered differently/);
    expect(divergence!.message).toMatch(/recorded ".*hello.*", replayed ".*goodbye.*"/);
    expect(readFileSync(join(test.workspace, 'a.txt'), 'utf8')).toBe('goodbye from a\n');
  });

  it('reports the calls a run stopped early did not run, its outcome, and what follows from it', async () => {
    const { test, sessionId, config } = await recorded();
    rmSync(join(test.workspace, 'b.txt'));
    const limited = { ...config, runtime: { ...config.runtime, max_turns: 2 } };
    const report = await replaySession({
      workspace: test.workspace,
      config: limited,
      session: sessionId,
      warn: () => {},
    });
    expect(report.identical).toBe(false);
    const first = report.divergences.filter((d) => d.turn === 1).map((d) => d.kind);
    // Two model calls allowed: the second reply's calls are not run, its answer never asked for.
    expect(first).toEqual(['tool_result', 'tool_result', 'final_text', 'outcome']);
    expect(report.divergences[0]!.message).toMatch(
      /^file_write \{"content":"copy of a\\n","path":"b.txt"\} answered differently; it failed where the recording's succeeded/,
    );
    expect(report.divergences[0]!.message).toMatch(/replayed "no result \(the run stopped: turn budget/);
    // And b.txt never written, the second turn's listing differs too.
    expect(report.divergences.at(-1)).toMatchObject({ turn: 2, call: 1, kind: 'tool_result' });
    expect(report.turns[0]!.replayed.status).toBe('failed');
    expect(report.turns[0]!.replayed.error).toMatch(/turn/);
  });

  it('runs the tools in the workspace itself with inPlace, audited, and logs no spend', async () => {
    const { test, sessionId, config } = await recorded();
    rmSync(join(test.workspace, 'b.txt'));
    const report = await replaySession({
      workspace: test.workspace,
      config,
      session: sessionId,
      inPlace: true,
      warn: () => {},
    });
    expect(report.identical).toBe(true);
    expect(report.workspace).toBe(test.workspace);
    expect(readFileSync(join(test.workspace, 'b.txt'), 'utf8')).toBe('copy of a\n');
    const { openServices } = await import('../src/index.js');
    const services = await openServices({ workspace: test.workspace, config });
    try {
      const writes = (await (await services.service('audit')).list({ type: 'tool_call' })).filter(
        (entry) => (entry.action.data as { tool?: string }).tool === 'file_write',
      );
      expect(writes).toHaveLength(2);
      // The recording's 5 calls; the replay's cost nothing and are not in the usage log.
      expect((await (await services.service('costs')).report()).totals.calls).toBe(5);
    } finally {
      await services.close();
    }
  });

  it('refuses a session that does not exist', async () => {
    const { test, config } = await recorded();
    await expect(
      replaySession({ workspace: test.workspace, config, session: 'no-such-session', warn: () => {} }),
    ).rejects.toThrow(/no session "no-such-session"/);
  });
});
