/**
 * A spec run made through the kernel (what `oxydra run --spec` does) is readable over the REST
 * API the dashboard uses: GET /api/v1/sessions/{id} carries the directive and every attempt's
 * per-criterion results (the route keeps the ownership rule of every session read).
 */
import { runSpec } from '@oxydra/kernel/spec';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jsonOf, startTestGateway, type TestGateway, TOKEN } from './helpers.js';

let env: TestGateway;
beforeAll(async () => {
  env = await startTestGateway();
});
afterAll(() => env.cleanup());

it('serves the stored spec run with its session', async () => {
  const outcome = await runSpec(env.kernel, {
    input: { request: 'write the report', criteria: ['file: report.md exists'], constraints: ['be brief'] },
    spawn: { userId: 'alice' },
    maxAttempts: 2,
  });
  expect(outcome.passed).toBe(false);
  expect(outcome.attempts).toHaveLength(2);
  const response = await fetch(`${env.gateway.url}/api/v1/sessions/${outcome.sessionId}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(response.status).toBe(200);
  const body = await jsonOf(response);
  expect(body.spec).toMatchObject({
    version: 1,
    state: 'failed',
    max_attempts: 2,
    directive: {
      goal: 'write the report',
      constraints: ['be brief'],
      criteria: [{ id: 'c1', kind: 'file', path: 'report.md' }],
    },
  });
  expect(
    body.spec.attempts.map((a: { results: { passed: boolean; detail: string }[] }) => a.results),
  ).toEqual([
    [
      {
        id: 'c1',
        kind: 'file',
        text: 'file: report.md exists',
        passed: false,
        detail: 'report.md does not exist',
      },
    ],
    [
      {
        id: 'c1',
        kind: 'file',
        text: 'file: report.md exists',
        passed: false,
        detail: 'report.md does not exist',
      },
    ],
  ]);
});
