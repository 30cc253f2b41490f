/**
 * One user's A2A tasks push out only their own: the task store forgot the oldest finished task
 * of anyone once it held MAX_A2A_TASKS, so alice, sending quick tasks that are rejected at once
 * (no model call, no turn slot), made bob's finished task "not found" before he polled its
 * answer. Now each token keeps at most MAX_A2A_TASKS_PER_OWNER finished tasks, its new ones
 * pushing out its own (docs/security.md, G36).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { a2aClient, a2aMessage } from './a2a-client.js';
import { startTestGateway, type TestGateway, userTokens } from './helpers.js';

let env: TestGateway;
let alice: string;
let bob: string;
beforeAll(async () => {
  env = await startTestGateway({ config: { a2a: { serve: true } } });
  [alice, bob] = (await userTokens(env, 'alice', 'bob')) as [string, string];
});
afterAll(() => env.cleanup());

/** A task that ends at once: rejected for naming no agent of the card (no model call). */
const rejected = () => a2aMessage('hi', { metadata: { agent: 'nobody' } });

it("alice's many finished tasks leave bob's task to poll", async () => {
  const bobs = await a2aClient(env.gateway.url, bob);
  const task = (await bobs.sendMessage(a2aMessage('hello'))) as { id: string };
  const alices = await a2aClient(env.gateway.url, alice);
  // Past the store's overall limit (1000) on the old code, which forgot bob's task first.
  const first = (await alices.sendMessage(rejected())) as { id: string };
  for (let i = 1; i < 1001; i += 1) await alices.sendMessage(rejected());
  const kept = await bobs.getTask({ id: task.id, tenant: '', historyLength: undefined });
  expect(kept.id).toBe(task.id);
  // Alice's own oldest went instead, and her newest are kept.
  await expect(alices.getTask({ id: first.id, tenant: '', historyLength: undefined })).rejects.toThrow(
    /not found/i,
  );
});
