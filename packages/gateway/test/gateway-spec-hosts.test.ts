/**
 * Spec runs through the gateway's hosts, each calling the kernel's spec runner: POST
 * /api/v1/runs with `spec` (criteria given, or `spec: true` crystallized by the model), a
 * schedule whose runs are spec runs (the outcome in the run's record and its notification), and
 * an A2A task carrying a spec (metadata or a data part; the per-criterion results in the final
 * status). The scripted model fails the first attempt, so every passing run took a retry. A
 * `test:` criterion is refused where commands need approval, and a malformed spec is refused.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SendMessageRequest } from '@a2a-js/sdk';
import { runSpec } from '@oxydra/kernel/spec';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { a2aMessage, partsText, a2aClient as sdkClient } from './a2a-client.js';
import { helloClient } from './hello-client.js';
import { jsonOf, postJson, ScriptedModel, startTestGateway, type TestGateway, TOKEN } from './helpers.js';
import { answer, JUDGED_CRITERION, REPORT_CRITERION, specModel, systemOf } from './spec-model.js';

let env: TestGateway;
beforeAll(async () => {
  env = await startTestGateway({ model: specModel(), config: { scheduler: { enabled: true } } });
});
afterAll(() => env.cleanup());
beforeEach(() => rmSync(join(env.workspace, 'report.md'), { force: true }));

const get = async (path: string) =>
  jsonOf(await fetch(`${env.gateway.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } }));

describe('POST /api/v1/runs with spec', () => {
  it('runs the criteria given, retries the failure and answers per criterion', async () => {
    const response = await postJson(env.gateway, '/api/v1/runs', {
      prompt: 'write the report to report.md',
      spec: {
        constraints: ['be brief'],
        acceptance_criteria: [REPORT_CRITERION, JUDGED_CRITERION],
        max_attempts: 3,
      },
    });
    const body = await jsonOf(response);
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ status: 'completed', text: 'Wrote report.md.' });
    expect(body.spec).toMatchObject({
      passed: true,
      attempts: 2,
      directive: { goal: 'write the report to report.md', constraints: ['be brief'] },
    });
    expect(body.spec.results.map((r: { id: string; passed: boolean }) => [r.id, r.passed])).toEqual([
      ['c1', true],
      ['c2', true],
    ]);
    // The judged criterion had its own call and its own verdict.
    expect(body.spec.results[1].detail).toBe(`${JUDGED_CRITERION}: shown`);
    expect(existsSync(join(env.workspace, 'report.md'))).toBe(true);
    // Every attempt is stored with the session, as for `oxydra run --spec`.
    const session = await get(`/api/v1/sessions/${body.session_id}`);
    expect(session.spec).toMatchObject({ state: 'passed', max_attempts: 3 });
    expect(session.spec.attempts.map((a: { passed: boolean }) => a.passed)).toEqual([false, true]);
  });

  it('crystallizes the directive from the prompt with spec: true', async () => {
    const body = await jsonOf(
      await postJson(env.gateway, '/api/v1/runs', { prompt: 'we need the report', spec: true }),
    );
    expect(body.spec).toMatchObject({
      passed: true,
      attempts: 2,
      directive: { goal: 'Write the report', criteria: [{ id: 'c1', kind: 'file', path: 'report.md' }] },
    });
  });

  it('answers a failed spec when the attempts run out, and refuses a malformed spec', async () => {
    const body = await jsonOf(
      await postJson(env.gateway, '/api/v1/runs', {
        prompt: 'write it',
        spec: { acceptance_criteria: [REPORT_CRITERION], max_attempts: 1 },
      }),
    );
    expect(body.spec).toMatchObject({
      passed: false,
      attempts: 1,
      stopped: '1 of 1 attempts did not meet every criterion',
      results: [{ id: 'c1', passed: false, detail: 'report.md does not exist' }],
    });
    for (const spec of [{ max_attempts: 0 }, { acceptance_criteria: ['file:'] }, { criteria: ['x'] }]) {
      const refused = await postJson(env.gateway, '/api/v1/runs', { prompt: 'x', spec });
      expect(refused.status, JSON.stringify(spec)).toBe(400);
      expect((await jsonOf(refused)).error.code).toBe('invalid_request');
    }
  });
});

describe('spec schedules', () => {
  it("record the spec outcome in the run and say it in the user's notification", async () => {
    const alice = await helloClient(env.wsUrl, { user_id: 'alice' }, TOKEN);
    const made = await postJson(env.gateway, '/api/v1/schedules', {
      prompt: 'write the daily report to report.md',
      every: '1d',
      user_id: 'alice',
      spec: { acceptance_criteria: [REPORT_CRITERION], max_attempts: 2 },
    });
    const { schedule } = await jsonOf(made);
    expect(made.status).toBe(201);
    expect(schedule.spec).toEqual({
      constraints: [],
      acceptance_criteria: [REPORT_CRITERION],
      max_attempts: 2,
    });
    const scheduler = await env.kernel.service('scheduler');
    const { done } = await scheduler.runNow(schedule.id, { actor: 'test' });
    const run = await done;
    expect(run, JSON.stringify(run)).toMatchObject({
      status: 'completed',
      spec: { passed: true, attempts: 2 },
    });
    const { runs } = await get(`/api/v1/schedules/${schedule.id}/runs`);
    expect(runs[0].spec).toMatchObject({
      passed: true,
      attempts: 2,
      results: [{ id: 'c1', kind: 'file', passed: true }],
    });
    const frame = await alice.inbox.take('scheduled_notification');
    expect(frame.payload.status).toBe('completed');
    expect(frame.payload.message).toContain('Wrote report.md.');
    expect(frame.payload.message).toContain(`spec passed after 2 attempt(s)\npass c1 ${REPORT_CRITERION}`);
    // The attempts were told they are a scheduled run.
    expect(env.model.calls.some((call) => call.prompt.startsWith('Scheduled task "'))).toBe(true);

    // A spec that does not pass fails the run, criterion by criterion.
    rmSync(join(env.workspace, 'report.md'), { force: true });
    const strict = await scheduler.schedule(
      { prompt: 'x', every: '1d', spec: { acceptance_criteria: ['file: never.md exists'], max_attempts: 1 } },
      { actor: 'test', userId: 'alice' },
    );
    const failed = await (await scheduler.runNow(strict.id, { actor: 'test' })).done;
    expect(failed).toMatchObject({ status: 'failed', spec: { passed: false } });
    expect(failed?.error).toContain('FAIL c1 file: never.md exists — never.md does not exist');
    const failedFrame = await alice.inbox.take('scheduled_notification');
    expect(failedFrame.payload.message).toContain('FAIL c1 file: never.md exists');
    alice.client.close();
  });

  it('refuses a test: criterion when commands need approval', async () => {
    const guarded = await startTestGateway({ model: specModel(), config: { tools: { approval: 'ask' } } });
    try {
      const scheduled = await postJson(guarded.gateway, '/api/v1/schedules', {
        prompt: 'x',
        every: '1h',
        spec: { acceptance_criteria: ['test: npm test'] },
      });
      expect(scheduled.status).toBe(400);
      expect((await jsonOf(scheduled)).error.message).toMatch(/"test:" acceptance criterion .* approval/);
      const run = await postJson(guarded.gateway, '/api/v1/runs', {
        prompt: 'x',
        spec: { acceptance_criteria: ['test: touch pwned.txt'] },
      });
      expect(run.status).toBe(400);
      expect(existsSync(join(guarded.workspace, 'pwned.txt'))).toBe(false);
      expect(guarded.model.calls).toHaveLength(0);
    } finally {
      await guarded.cleanup();
    }
  });
});

/** A streamed task's last status (state, text, metadata) and its answer artifact. */
async function streamTask(request: SendMessageRequest) {
  const client = await sdkClient(env.gateway.url, TOKEN);
  let answer = '';
  let last: { state: number; text: string; metadata: Record<string, unknown> | undefined } | undefined;
  for await (const event of client.sendMessageStream(request)) {
    const payload = event.payload;
    if (payload?.$case === 'artifactUpdate') answer = partsText(payload.value.artifact?.parts);
    if (payload?.$case === 'statusUpdate') {
      last = {
        state: payload.value.status?.state ?? 0,
        text: partsText(payload.value.status?.message?.parts),
        metadata: payload.value.metadata,
      };
    }
  }
  return { answer, ...last! };
}

describe('A2A tasks with a spec', () => {
  it('carry the per-criterion results in the final status (spec in metadata)', async () => {
    const task = await streamTask(
      a2aMessage('write the report to report.md', {
        metadata: { spec: { acceptance_criteria: [REPORT_CRITERION, JUDGED_CRITERION] } },
      }),
    );
    expect(task.state, task.text).toBe(3); // completed
    expect(task.answer).toBe('Wrote report.md.');
    expect(task.metadata?.oxydra).toMatchObject({
      status: 'completed',
      spec: {
        passed: true,
        attempts: 2,
        results: [
          { id: 'c1', passed: true },
          { id: 'c2', passed: true },
        ],
      },
    });
  });

  it('take the spec from a data part (not the prompt) and fail a task whose spec did not pass', async () => {
    const request = a2aMessage('write it');
    request.message!.parts.push({
      content: {
        $case: 'data',
        value: { spec: { acceptance_criteria: ['file: never.md exists'], max_attempts: 1 } },
      },
      metadata: undefined,
      filename: '',
      mediaType: 'application/json',
    });
    const task = await streamTask(request);
    expect(task.state).toBe(4); // failed
    expect(task.text).toContain('the spec did not pass');
    expect(task.metadata?.oxydra).toMatchObject({
      spec: { passed: false, results: [{ id: 'c1', passed: false, detail: 'never.md does not exist' }] },
    });
    const prompts = env.model.calls.map((call) => call.prompt);
    expect(prompts.some((prompt) => prompt.includes('never.md') && prompt.startsWith('write it'))).toBe(true);
    expect(prompts.some((prompt) => prompt.includes('"acceptance_criteria"'))).toBe(false);

    const malformed = await streamTask(a2aMessage('x', { metadata: { spec: { max_attempts: 99 } } }));
    expect(malformed.state).toBe(7); // rejected
    expect(malformed.text).toContain('the spec is malformed at max_attempts');
  });
});

describe('judging free-text criteria', () => {
  it('gives each criterion its own judge call, all under way at once', async () => {
    // The judges are held until three are in flight: judged one after another, this never ends.
    let inFlight = 0;
    let releaseAll: () => void = () => {};
    const together = new Promise<void>((resolve) => {
      releaseAll = resolve;
    });
    const model = new ScriptedModel(async function* (call) {
      if (!systemOf(call).includes('strict reviewer')) {
        yield* answer('done');
        return;
      }
      inFlight += 1;
      if (inFlight === 3) releaseAll();
      await together;
      const criterion = /^Criterion: (.*)$/m.exec(call.prompt)?.[1] ?? '';
      yield* answer(JSON.stringify({ pass: criterion !== 'C holds', reason: `verdict on ${criterion}` }));
    });
    const judged = await startTestGateway({ model });
    try {
      const outcome = await runSpec(judged.kernel, {
        input: { request: 'x', criteria: ['A holds', 'B holds', 'C holds'] },
        spawn: {},
        maxAttempts: 1,
      });
      expect(outcome.attempts[0]!.results.map((r) => [r.id, r.passed, r.detail])).toEqual([
        ['c1', true, 'verdict on A holds'],
        ['c2', true, 'verdict on B holds'],
        ['c3', false, 'verdict on C holds'],
      ]);
    } finally {
      await judged.cleanup();
    }
  });

  it('keeps the judges within what is left of the dollar limit', async () => {
    const model = new ScriptedModel(async function* (call) {
      yield* answer(systemOf(call).includes('strict reviewer') ? '{"pass": true}' : 'done');
    });
    const judged = await startTestGateway({ model });
    try {
      // The attempt's one call spends more than the whole limit: nothing is left for judging.
      const outcome = await runSpec(judged.kernel, {
        input: { request: 'x', criteria: ['A holds', 'B holds'] },
        spawn: { limits: { maxCostUsd: 1e-9 } },
        maxAttempts: 1,
      });
      const results = outcome.attempts[0]!.results;
      expect(results.map((r) => r.passed)).toEqual([false, false]);
      expect(results[0]!.detail).toMatch(/^no verdict: /);
      expect(model.calls.filter((call) => systemOf(call).includes('strict reviewer'))).toHaveLength(0);
    } finally {
      await judged.cleanup();
    }
  });
});
