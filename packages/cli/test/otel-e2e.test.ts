/**
 * OpenTelemetry from the real `oxydra` binary (the bundle, where @oxydra/otel and the SDK are a
 * lazily imported chunk): `oxydra run` with [otel] in agent.toml delegating to an agent exports
 * its trace to an OTLP/HTTP receiver before it exits, the delegated run under the delegating
 * call, and no prompt text.
 */

import { type OtlpReceiver, startOtlpReceiver } from '@oxydra/otel/testing/otlp-receiver';
import type { ScenarioStep } from '@oxydra/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS, E2E_KEY } from './agent-env.js';

let env: AgentEnv | undefined;
let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await env?.close();
  await receiver?.close();
  env = undefined;
  receiver = undefined;
});

const STEPS: ScenarioStep[] = [
  {
    match: { callIndex: 0 },
    reply: {
      toolCalls: [{ name: 'delegate_to_agent', arguments: { agent: 'researcher', task: 'FIND-FACTS' } }],
      usage: { input: 40, output: 4 },
    },
  },
  { match: { lastMessageContains: 'FIND-FACTS' }, reply: { text: 'fact: water boils at 100 C' } },
  { match: { lastToolResultContains: 'water boils' }, reply: { text: 'Report assembled.' } },
];

describe('oxydra run with [otel]', () => {
  it('exports the run’s trace over OTLP/HTTP before exiting: the delegated run under the delegating call', async () => {
    receiver = await startOtlpReceiver();
    env = await AgentEnv.start(
      E2E_APIS[0]!,
      STEPS,
      `
[agents.researcher]
description = "finds facts"
system_prompt = "You research."

[otel]
enabled = true
endpoint = "${receiver.url}"
`,
    );
    const out = await env.run(['run', 'build the report']);
    expect(out.status).toBe(0);
    expect(out.stderr).not.toContain('[otel]');
    const spans = receiver.spans();
    expect(spans.map((s) => s.name).sort()).toEqual([
      'chat gpt-4o-mini',
      'chat gpt-4o-mini',
      'chat gpt-4o-mini',
      'execute_tool delegate_to_agent',
      'invoke_agent default',
      'invoke_agent researcher',
    ]);
    const byName = (name: string) => spans.find((s) => s.name === name)!;
    expect(byName('invoke_agent researcher').parentSpanId).toBe(
      byName('execute_tool delegate_to_agent').spanId,
    );
    expect(byName('execute_tool delegate_to_agent').parentSpanId).toBe(byName('invoke_agent default').spanId);
    expect(byName('invoke_agent default').resource).toMatchObject({
      'service.name': 'oxydra',
      'oxydra.host': 'cli',
    });
    expect(receiver.metrics().map((m) => m.name)).toContain('gen_ai.client.token.usage');
    const exported = receiver.bodies.map((b) => b.text).join('\n');
    for (const content of ['build the report', 'FIND-FACTS', 'water boils', 'Report assembled', E2E_KEY]) {
      expect(exported).not.toContain(content);
    }
  });
});
