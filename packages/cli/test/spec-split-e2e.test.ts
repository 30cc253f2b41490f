/**
 * `oxydra run --split` through the real binary and a scripted model: three criteria the user
 * marks independent; the parent does the first, each of the other two runs in a sub-agent of
 * its own, said on stderr, recorded per attempt in the `spec_outcome` line of --json
 * (`subAgents`) and named next to its criterion in `sessions show`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

interface Outcome {
  type: 'spec_outcome';
  passed: boolean;
  sessionId?: string;
  directive: { criteria: { id: string; independent?: boolean }[] };
  attempts: {
    agentId: string;
    subAgents?: { criterionId: string; agentId: string; name: string; status: string }[];
    results: { id: string; passed: boolean }[];
  }[];
}

const write = (path: string) => ({
  reply: { toolCalls: [{ name: 'file_write', arguments: { path, content: 'note\n' } }] },
});

describe('spec run with --split', () => {
  let env: AgentEnv;
  beforeAll(async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [
      write('a.txt'),
      { reply: { text: 'a done' } },
      write('b.txt'),
      { reply: { text: 'b done' } },
      write('c.txt'),
      { reply: { text: 'c done' } },
    ]);
  });
  afterAll(() => env.close());

  it('runs the second and third criteria in sub-agents and says which ran where', async () => {
    const criteria = ['file: a.txt exists', 'file: b.txt exists', 'file: c.txt exists'];
    const run = await env.run([
      'run',
      '--json',
      '--exit-code',
      '--split',
      ...criteria.flatMap((c) => ['--criterion', c]),
      'write three notes',
    ]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/criterion c2 \(checked: file, independent\)/);
    expect(run.stderr).toMatch(/spec: attempt 1, criterion c2 in sub-agent default \S+/);
    expect(run.stderr).toMatch(/spec: attempt 1, criterion c3 in sub-agent default \S+/);
    const outcome = run.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Outcome)
      .find((e) => e.type === 'spec_outcome')!;
    expect(outcome.passed).toBe(true);
    const [attempt] = outcome.attempts;
    expect(attempt!.subAgents!.map((s) => [s.criterionId, s.name, s.status])).toEqual([
      ['c2', 'default', 'completed'],
      ['c3', 'default', 'completed'],
    ]);
    expect(new Set(attempt!.subAgents!.map((s) => s.agentId)).size).toBe(2);
    expect(attempt!.subAgents!.some((s) => s.agentId === attempt!.agentId)).toBe(false);
    // Each sub-agent's prompt names its criterion only.
    expect(env.requestText(2)).toContain('file: b.txt exists');
    expect(env.requestText(2)).not.toContain('c.txt');

    const show = env.sandbox.run('sessions', 'show', outcome.sessionId!);
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toContain(`- pass c2 (sub-agent default ${attempt!.subAgents![0]!.agentId})`);
  }, 60_000);
});
