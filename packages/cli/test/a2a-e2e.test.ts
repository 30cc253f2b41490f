/**
 * Two real `oxydra gateway` processes on loopback exchange A2A tasks, each over its own mock LLM:
 * the A2A SDK's client sends a streamed task to gateway A, whose agent hands it to gateway B with
 * a2a_delegate ([a2a.remotes.b], B's generated token in a variable); B's answer comes back in
 * A's answer, with B's progress in A's stream. Cancelling A's task cancels the task on B (B's
 * agent is killed, in B's audit chain). B's card validates with the SDK.
 */
import { TaskState } from '@a2a-js/sdk';
import { DefaultAgentCardResolver } from '@a2a-js/sdk/client';
import {
  a2aClient as clientFor,
  a2aMessage as send,
  partsText as textOf,
} from '@oxydra/gateway/testing/a2a-client';
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';
import { GatewayDaemon, generatedToken } from './gateway-daemon.js';
import { auditEntries } from './helpers.js';

let envA: AgentEnv;
let envB: AgentEnv;
let gatewayA: GatewayDaemon;
let gatewayB: GatewayDaemon;

beforeAll(async () => {
  envB = await AgentEnv.start(E2E_APIS[0]!, [
    {
      match: { lastMessageContains: 'count the files' },
      reply: { text: 'B counted 3 files' },
      times: 'always',
    },
    {
      match: { lastMessageContains: 'hold forever' },
      reply: { text: 'this takes a very long time to say, word by word', textChunks: 40 },
      fault: { slowChunksMs: 1000 },
      times: 'always',
    },
  ]);
  gatewayB = await GatewayDaemon.start(envB);
  envA = await AgentEnv.start(
    E2E_APIS[0]!,
    [
      {
        match: { lastMessageContains: 'B counted 3 files' },
        reply: { text: 'A relays: B counted 3 files' },
        times: 'always',
      },
      {
        match: { lastMessageContains: 'ask b to count' },
        reply: {
          toolCalls: [{ name: 'a2a_delegate', arguments: { url_or_name: 'b', task: 'count the files' } }],
        },
        times: 'always',
      },
      {
        match: { lastMessageContains: 'ask b to hold' },
        reply: {
          toolCalls: [{ name: 'a2a_delegate', arguments: { url_or_name: 'b', task: 'hold forever' } }],
        },
        times: 'always',
      },
    ],
    // B's answer taints A's later runs (memory recalls it), and a tainted run asks before it
    // delegates again, which nobody answers here: this test is about delegation itself.
    `[a2a.remotes.b]\nurl = "${gatewayB.url}"\ntoken_env = "B_TOKEN"\ndescription = "the other gateway"\n\n[taint.rules]\nsend = "allow"\n`,
  );
  envA.sandbox.env.B_TOKEN = generatedToken(envB);
  gatewayA = await GatewayDaemon.start(envA);
}, 60_000);

afterAll(async () => {
  for (const daemon of [gatewayA, gatewayB]) {
    daemon?.kill();
    await daemon?.exited;
  }
  await envA?.close();
  await envB?.close();
});

describe('two oxydra gateways over A2A', () => {
  it("B's agent card validates with the SDK and names its endpoint", async () => {
    const card = await new DefaultAgentCardResolver().resolve(gatewayB.url);
    expect(card.supportedInterfaces[0]).toMatchObject({
      url: `${gatewayB.url}/a2a`,
      protocolBinding: 'JSONRPC',
    });
    expect(card.skills.map((skill) => skill.id)).toEqual(['default']);
    expect(gatewayA.logs().find((line) => line.msg.startsWith('listening on'))).toMatchObject({
      a2a_card: `${gatewayA.url}/.well-known/agent-card.json`,
      a2a_remotes: 'b',
    });
  });

  it("a streamed task to A is done by B, and B's answer and progress come back through A", async () => {
    const client = await clientFor(gatewayA.url, generatedToken(envA));
    const progress: string[] = [];
    let answer = '';
    let state: number | undefined;
    for await (const event of client.sendMessageStream(send('please ask b to count'))) {
      const payload = event.payload;
      if (payload?.$case === 'statusUpdate') {
        state = payload.value.status?.state;
        const line = textOf(payload.value.status?.message?.parts);
        if (line) progress.push(line);
      }
      if (payload?.$case === 'artifactUpdate') answer = textOf(payload.value.artifact?.parts);
    }
    expect(state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(answer).toBe('A relays: B counted 3 files');
    expect(progress).toContain('running a2a_delegate');
    expect(progress.some((line) => line.includes('a2a_delegate: b: model call 1'))).toBe(true);
    // B's model was asked B's task; A's model saw B's answer as the tool result.
    expect(envB.mock.requests.some((request) => request.raw.includes('count the files'))).toBe(true);
    expect(envA.mock.requests.at(-1)?.raw).toContain('B counted 3 files');
    expect(auditEntries(envA.workspace, 'a2a_delegate').at(-1)?.data).toMatchObject({
      remote: 'b',
      state: 'completed',
    });
    expect(auditEntries(envB.workspace, 'a2a_task').length).toBeGreaterThan(0);
  });

  it("cancelling A's task cancels the task A gave B", async () => {
    const client = await clientFor(gatewayA.url, generatedToken(envA));
    const stream = client.sendMessageStream(send('please ask b to hold'));
    const first = await stream.next();
    const taskId = first.value?.payload?.$case === 'task' ? first.value.payload.value.id : '';
    await pollUntil(
      () => envB.mock.requests.some((request) => request.raw.includes('hold forever')),
      "B's model to be asked",
      { timeoutMs: 20_000 },
    );
    const canceled = await client.cancelTask({ id: taskId, tenant: '', metadata: undefined });
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    for await (const _event of stream) {
      // drained to its end
    }
    await pollUntil(
      () => auditEntries(envB.workspace, 'agent_exit').some((entry) => entry.data.status === 'killed'),
      "B's agent to be killed",
      { timeoutMs: 20_000 },
    );
    // A's exit entry is committed with the audit chain's next group commit: wait for it.
    await pollUntil(
      () => auditEntries(envA.workspace, 'agent_exit').at(-1)?.data.status === 'killed',
      "A's agent to be recorded killed",
      { timeoutMs: 20_000 },
    );
  });
});
