/**
 * Cost reporting and replay through the real binary: a multi-tool `oxydra run` against the
 * mock model is in `oxydra costs --by model`; then, the mock server closed (no network, no
 * model), `oxydra sessions replay` re-runs the session from its recording with the same tool
 * calls, results and final text (exit 0), in a scratch copy put back to the session's start (the
 * run's before checkpoint: right after the run that wrote summary.txt it is written again, not
 * replaced); after the workspace changed, `--from now` names the call whose result differs
 * (exit 1) and the default still starts from the session's start; without a checkpoint the
 * replay says it used the files as they are now; an unknown session is a usage error.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

let env: AgentEnv;
beforeAll(async () => {
  env = await AgentEnv.start(E2E_APIS[0]!, [
    {
      match: { callIndex: 0 },
      reply: {
        toolCalls: [{ name: 'file_read', arguments: { path: 'notes.txt' } }],
        usage: { input: 2_000, output: 30 },
      },
    },
    {
      match: { callIndex: 1 },
      reply: {
        text: 'Writing the summary.',
        toolCalls: [
          { name: 'file_write', arguments: { path: 'summary.txt', content: 'two lines about otters\n' } },
          { name: 'file_list', arguments: { path: '.' } },
        ],
        usage: { input: 2_400, output: 60 },
      },
    },
    {
      match: { callIndex: 2 },
      reply: {
        text: 'summary.txt now says the notes are about otters.',
        usage: { input: 2_600, output: 12 },
      },
    },
  ]);
  env.sandbox.write('notes.txt', 'otters hold hands\notters sleep floating\n');
});
afterAll(() => env.close());

// gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output tokens.
const COST = ((2_000 + 2_400 + 2_600) * 0.15 + (30 + 60 + 12) * 0.6) / 1e6;

describe('oxydra costs and oxydra sessions replay', () => {
  let sessionId = '';

  it('records the run, and `costs --by model` reports its calls, tokens and dollars', async () => {
    const run = await env.run(['run', '--json', 'summarise notes.txt into summary.txt']);
    expect(run.status).toBe(0);
    const outcome = run.events.at(-1) as { type: string; sessionId?: string };
    expect(outcome.type).toBe('run_completed');
    sessionId = outcome.sessionId!;
    expect(sessionId).toBeTruthy();
    expect(env.mock.requests).toHaveLength(3);

    const json = env.sandbox.run('costs', '--by', 'model', '--json');
    expect(json.status).toBe(0);
    const report = JSON.parse(json.stdout) as {
      by: string;
      rows: { key: string; calls: number; input_tokens: number; output_tokens: number; cost_usd: number }[];
      totals: { calls: number; unknown_cost_calls: number };
    };
    expect(report.by).toBe('model');
    expect(report.rows).toHaveLength(1);
    expect(report.rows[0]).toMatchObject({
      key: 'mock/gpt-4o-mini',
      calls: 3,
      input_tokens: 7_000,
      output_tokens: 102,
    });
    expect(report.rows[0]!.cost_usd).toBeCloseTo(COST, 12);
    expect(report.totals).toMatchObject({ calls: 3, unknown_cost_calls: 0 });

    const table = env.sandbox.run('costs', '--by', 'session', '--since', '1d');
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^Costs by session, since \d{4}-\d\d-\d\d \d\d:\d\d UTC\n/);
    expect(table.stdout).toContain(sessionId.slice(-8));
    expect(table.stdout).toMatch(/TOTAL\s+3\s+7,000\s+102\s+\$0\.00/);

    const bad = env.sandbox.run('costs', '--by', 'week');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--by week: use one of day, agent, model, user, session');
  });

  it("lists the run's checkpoints with its session", () => {
    const list = env.sandbox.run('checkpoints', 'list');
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(
        `^r-[0-9a-f]{8} .* run of agent default .* after [0-9a-f]{12}  session ${sessionId.slice(-8)}$`,
        'm',
      ),
    );
  });

  it('replays the session right after the run, with no model server: the same calls, results and final text', async () => {
    await env.mock.close();
    // summary.txt is still there: the replay starts from the files before the run, and creates it again.
    const replay = env.sandbox.run('sessions', 'replay', sessionId.slice(-8));
    expect(replay.stderr).toBe('');
    expect(replay.status).toBe(0);
    expect(replay.stdout).toContain(
      `Replayed session ${sessionId.slice(-8)} (agent default): 1 turn, 3 of 3 recorded model replies played`,
    );
    expect(replay.stdout).toMatch(
      /tools run in a scratch copy of the workspace \(removed afterwards\), its files as they were when the session started \(checkpoint [0-9a-f]{12}, before run r-[0-9a-f]{8}, turn 1\)/,
    );
    expect(replay.stdout).toContain('1. file_read {"path":"notes.txt"}');
    expect(replay.stdout).toContain('2. file_write');
    expect(replay.stdout).toContain('3. file_list {"path":"."}');
    expect(replay.stdout).toContain('final text: summary.txt now says the notes are about otters.');
    expect(replay.stdout).toContain(
      'IDENTICAL: the same 3 tool calls with the same results, and the same final text.',
    );
    expect(readFileSync(join(env.workspace, 'summary.txt'), 'utf8')).toBe('two lines about otters\n');

    const json = env.sandbox.run('sessions', 'replay', sessionId, '--json');
    expect(json.status).toBe(0);
    const report = JSON.parse(json.stdout) as {
      identical: boolean;
      start: { from: string; turn?: number };
      modelCalls: { recorded: number; replayed: number };
      turns: { replayed: { calls: { name: string; arguments: unknown; result: string }[]; text: string } }[];
    };
    expect(report.identical).toBe(true);
    expect(report.start).toMatchObject({ from: 'checkpoint', turn: 1 });
    expect(report.modelCalls).toEqual({ recorded: 3, replayed: 3 });
    expect(report.turns[0]!.replayed.calls.map((call) => [call.name, call.arguments])).toEqual([
      ['file_read', { path: 'notes.txt' }],
      ['file_write', { path: 'summary.txt', content: 'two lines about otters\n' }],
      ['file_list', { path: '.' }],
    ]);
    expect(report.turns[0]!.replayed.calls[0]!.result).toContain('otters hold hands');
    expect(report.turns[0]!.replayed.text).toBe('summary.txt now says the notes are about otters.');
  });

  it('names the call whose result differs on the files as they are now (--from now, exit 1)', async () => {
    writeFileSync(join(env.workspace, 'notes.txt'), 'beavers build dams\n');
    rmSync(join(env.workspace, 'summary.txt'));
    // From the session's start the change does not matter.
    const start = env.sandbox.run('sessions', 'replay', sessionId);
    expect(start.status).toBe(0);
    const replay = env.sandbox.run('sessions', 'replay', sessionId, '--from', 'now');
    expect(replay.stdout).toContain('its files as they are now');
    expect(replay.status).toBe(1);
    expect(replay.stdout).toContain('DIVERGED: 1 difference from the recording:');
    expect(replay.stdout).toMatch(
      /turn 1, call 1: file_read \{"path":"notes.txt"\} answered differently: first difference at character \d+ \(line 1\): recorded ".*otters.*", replayed ".*beavers.*"/,
    );
  });

  it('says so when no checkpoint holds the session start, and refuses --from start in place', () => {
    const inPlace = env.sandbox.run('sessions', 'replay', sessionId, '--in-place', '--from', 'start');
    expect(inPlace.status).toBe(2);
    expect(inPlace.stderr).toContain("--in-place replays on the workspace's files as they are now");
    const bad = env.sandbox.run('sessions', 'replay', sessionId, '--from', 'yesterday');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--from yesterday: use start');

    rmSync(join(env.workspace, '.oxydra', 'checkpoints.git'), { recursive: true });
    const replay = env.sandbox.run('sessions', 'replay', sessionId);
    expect(replay.stdout).toContain(
      "note: replayed in the workspace as it is now: no checkpoint of this session's start (this workspace has no checkpoints)",
    );
    // Today's notes.txt (beavers) is what the replay reads.
    expect(replay.status).toBe(1);
  });

  it('refuses an unknown session as a usage error', () => {
    const replay = env.sandbox.run('sessions', 'replay', 'no-such-session');
    expect(replay.status).toBe(2);
    expect(replay.stderr).toContain('no session "no-such-session"');
  });
});
