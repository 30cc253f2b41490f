/** The gateway's turns obey the kernel's spending caps: the next call past a cap is refused, saying which. */
import { afterEach, describe, expect, it } from 'vitest';
import { jsonOf, postJson, startTestGateway, type TestGateway } from './helpers.js';

let env: TestGateway | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

describe('spending caps over the gateway', () => {
  it('refuses the call past an agent’s calls per window, naming the cap', async () => {
    env = await startTestGateway({ config: { budgets: { agents: { default: { calls_per_window: 1 } } } } });
    const ask = () =>
      postJson(env!.gateway, '/v1/chat/completions', {
        model: 'default',
        user: 'alice',
        messages: [{ role: 'user', content: 'hello' }],
      });
    const first = await ask();
    expect(first.status).toBe(200);
    const second = await ask();
    const body = await jsonOf(second);
    expect(second.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(body)).toMatch(/model-call budget reached for agent default: 1 of 1 used/);
    expect(env.model.calls.length).toBe(1);
  });
});
