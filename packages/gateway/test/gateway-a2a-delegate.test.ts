/**
 * Two gateways on loopback exchange A2A tasks: an SDK client sends a streamed task to gateway A,
 * whose agent hands it on with a2a_delegate to gateway B (configured in [a2a.remotes], its token
 * from a variable). B's answer comes back as A's tool result and A's answer; B's progress shows
 * in A's stream; B's reported cost is charged to A's budgets; both sides audit it. Cancelling
 * A's task cancels B's. The token goes to B's origin only, never into A's model context; an
 * unconfigured URL needs approval and cannot reach loopback.
 */
import { type Task, TaskState } from '@a2a-js/sdk';
import { type Client, DefaultAgentCardResolver } from '@a2a-js/sdk/client';
import { pollUntil } from '@oxydra/testkit/helpers';
import type { ModelEvent } from '@oxydra/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { a2aClient, answerOf, partsText, a2aMessage as send } from './a2a-client.js';
import {
  Gate,
  type ModelCall,
  type Script,
  ScriptedModel,
  startTestGateway,
  type TestGateway,
  TOKEN,
  toolCallReply,
} from './helpers.js';

const B_TOKEN = 'b-gateway-token-0123456789abcdef';
/** B reports a large usage so that its cost dominates A's own. */
const B_INPUT_TOKENS = 1_000_000;

let a: TestGateway;
let b: TestGateway;
let bGate: Gate;
let bHolds = false;

/** B: echoes the task, or (when bHolds) waits until released or cancelled. */
const bScript: Script = async function* (call) {
  if (bHolds) {
    const aborted = new Promise<'aborted'>((resolve) => {
      call.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    if ((await Promise.race([bGate.opened, aborted])) === 'aborted') return;
  }
  yield { type: 'text_delta', text: `B did: ${call.prompt}` };
  yield { type: 'usage', usage: { inputTokens: B_INPUT_TOKENS, outputTokens: 5 } };
  yield { type: 'finish', reason: 'stop' };
};

const lastToolResult = (call: ModelCall) => {
  const last = call.messages.at(-1);
  return last?.role === 'tool' ? String(last.content) : undefined;
};

/** A: delegates its prompt to the remote (or the URL) named in it, then relays the result. */
const aScript: Script = async function* (call) {
  const result = lastToolResult(call);
  if (result !== undefined) {
    yield { type: 'text_delta', text: `relayed: ${result}` };
    yield { type: 'usage', usage: { inputTokens: 10, outputTokens: 5 } };
    yield { type: 'finish', reason: 'stop' };
    return;
  }
  const [target, ...task] = call.prompt.split(' ');
  yield { type: 'usage', usage: { inputTokens: 10, outputTokens: 5 } };
  yield* toolCallReply('d1', 'a2a_delegate', {
    url_or_name: target ?? '',
    task: task.join(' '),
  }) as Generator<ModelEvent>;
};

const clientFor = (gateway: TestGateway): Promise<Client> => a2aClient(gateway.gateway.url, TOKEN);

beforeAll(async () => {
  bGate = new Gate();
  // B takes only its own token: the gateway token of a test gateway is TOKEN, so B gets another.
  b = await startTestGateway({ model: new ScriptedModel(bScript), token: B_TOKEN });
  a = await startTestGateway({
    model: new ScriptedModel(aScript),
    config: {
      a2a: { remotes: { b: { url: b.gateway.url, token_env: 'B_TOKEN', description: 'the other gateway' } } },
      // B's answers taint A's later runs (memory recalls them), and a tainted run asks before it
      // delegates again, which nobody answers here: these tests are about delegation itself.
      taint: { rules: { send: 'allow' } },
    },
    env: { B_TOKEN },
  });
});

afterAll(async () => {
  bGate?.release();
  await a?.cleanup();
  await b?.cleanup();
});

describe('two gateways', () => {
  it("B's card validates with the SDK, and A's agents are offered a2a_delegate naming B", async () => {
    const card = await new DefaultAgentCardResolver().resolve(b.gateway.url);
    expect(card.supportedInterfaces[0]?.url).toBe(`${b.gateway.url}/a2a`);
    expect(a.kernel.describe().tools).toContain('a2a_delegate');
    expect(b.kernel.describe().tools, 'no remotes, no tool').not.toContain('a2a_delegate');
  });

  it("a streamed task to A is delegated to B and answered with B's answer, progress and cost", async () => {
    const client = await clientFor(a);
    const kinds: string[] = [];
    const progress: string[] = [];
    let answer = '';
    let cost: number | undefined;
    for await (const event of client.sendMessageStream(send('b add two and two'))) {
      const payload = event.payload;
      if (!payload) continue;
      kinds.push(payload.$case);
      if (payload.$case === 'statusUpdate') {
        const text = partsText(payload.value.status?.message?.parts);
        if (text) progress.push(text);
        const reported = payload.value.metadata?.oxydra as { cost_usd?: number } | undefined;
        if (reported) cost = reported.cost_usd;
      }
      if (payload.$case === 'artifactUpdate') {
        answer = partsText(payload.value.artifact?.parts);
      }
    }
    // B's answer reaches A's model below the untrusted line, as the remote agent's words, and
    // taints A's run (kind a2a, untrusted by default).
    expect(answer).toMatch(
      /^relayed: \[context_id: [^\]]+\]\n\[untrusted content from the remote agent b \(http:\/\/127\.0\.0\.1:\d+\): [^\n]+\]\n\nB did: add two and two$/,
    );
    const toolMessage = a.model.calls.flatMap((call) => call.messages).find((m) => m.role === 'tool');
    expect(toolMessage?.provenance).toMatchObject({
      kind: 'a2a',
      source: expect.stringMatching(/^b \(http/),
    });
    expect(progress).toContain('running a2a_delegate');
    expect(
      progress.some((line) => /a2a_delegate: b: model call 1/.test(line)),
      progress.join('\n'),
    ).toBe(true);
    // B ran it as the owner of B's token, in a session of its own.
    const bSpawn = b.spawns.find((spawn) => spawn.prompt === 'add two and two');
    expect(bSpawn).toBeDefined();
    // B's cost (a million input tokens) is in A's task cost and A's spending: A's own two small
    // calls cost far less.
    expect((await (await b.kernel.service('audit')).list({ type: 'a2a_task' })).at(-1)).toBeDefined();
    expect(cost).toBeGreaterThan(0.1);
    const spentToday = (await (await a.kernel.service('budgets')).show()).find(
      (scope) => scope.scope === 'agent:default',
    )?.today.usd;
    expect(spentToday).toBeGreaterThan(0.1);
    const aEntry = (await (await a.kernel.service('audit')).list({ type: 'a2a_delegate' })).at(-1);
    expect(aEntry?.action.data).toMatchObject({ remote: 'b', configured: true, state: 'completed' });
    expect((aEntry?.action.data.cost_usd as number) > 0.1).toBe(true);
    // The token never reached A's model.
    expect(JSON.stringify(a.model.calls.map((call) => call.messages))).not.toContain(B_TOKEN);
  });

  it("cancelling A's task cancels the task A gave B, and B's agent stops", async () => {
    bHolds = true;
    try {
      const client = await clientFor(a);
      const stream = client.sendMessageStream(send('b wait for me'));
      const first = await stream.next();
      const taskId = first.value?.payload?.$case === 'task' ? first.value.payload.value.id : '';
      await pollUntil(() => b.spawns.some((spawn) => spawn.prompt === 'wait for me'), "B's agent to start");
      const canceled = await client.cancelTask({ id: taskId, tenant: '', metadata: undefined });
      expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
      for await (const _event of stream) {
        // drained
      }
      await pollUntil(
        () => b.spawns.find((spawn) => spawn.prompt === 'wait for me')?.killed === true,
        "B's agent to be killed",
      );
      await pollUntil(
        () => b.kernel.agents.list().every((agent) => agent.status !== 'running'),
        'B to have no running agent',
      );
    } finally {
      bHolds = false;
    }
  });

  it('a URL nobody configured goes through the SSRF guard: approved (approval = "auto"), loopback is still refused', async () => {
    const client = await clientFor(a);
    const task = (await client.sendMessage(send(`http://localhost:${b.gateway.port} hello`))) as Task;
    expect(answerOf(task)).toMatch(/relayed: http:\/\/localhost:\d+: .*(not a public|loopback|refus)/i);
    expect(b.spawns.some((spawn) => spawn.prompt === 'hello')).toBe(false);
    const entry = (await (await a.kernel.service('audit')).list({ type: 'approval' })).at(-1);
    expect(entry?.action.data).toMatchObject({ tool: 'a2a_delegate', approved: true, by: 'auto' });
  });

  it('an unknown remote name is an error naming the configured ones', async () => {
    const client = await clientFor(a);
    const task = (await client.sendMessage(send('nowhere hi'))) as Task;
    expect(answerOf(task)).toMatch(/unknown remote "nowhere"; configured: b/);
  });
});
