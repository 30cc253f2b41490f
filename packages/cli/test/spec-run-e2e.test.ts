/**
 * `oxydra run --spec` through the real binary and a scripted model: the first attempt leaves a
 * `test:` criterion failing (the file it checks is not written yet), the failure is fed back,
 * the second attempt writes the file and every criterion passes, with per-criterion results in
 * the closing `spec_outcome` line of --json. --exit-code is 1 when the attempts run out; the
 * criterion commands run in the sandbox (one cannot write outside the workspace); malformed
 * flags are usage errors (exit 2).
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

interface Outcome {
  type: 'spec_outcome';
  passed: boolean;
  sessionId?: string;
  stopped?: string;
  directive: { goal: string; criteria: { id: string; kind: string; text: string }[] };
  attempts: {
    attempt: number;
    status: string;
    checkpointBefore?: string;
    passed: boolean;
    results: { id: string; kind: string; passed: boolean; detail: string }[];
  }[];
}

function outcomeOf(stdout: string): Outcome {
  const line = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string })
    .find((event) => event.type === 'spec_outcome');
  expect(line, stdout).toBeDefined();
  return line as Outcome;
}

/** A spec run of one attempt with these criteria (the model's answer does not matter to them). */
async function oneAttempt(env: AgentEnv, criteria: string[]): Promise<Outcome> {
  const flags = criteria.flatMap((criterion) => ['--criterion', criterion]);
  const run = await env.run(['run', '--json', '--max-attempts', '1', ...flags, 'check the work']);
  return outcomeOf(run.stdout);
}

const TEST_CRITERION = 'test: grep -q finished out/report.md';
const FILE_CRITERION = 'file: out/report.md exists';

describe('spec run that fails once, retries and passes', () => {
  let env: AgentEnv;
  beforeAll(async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [
      // Attempt 1: the model claims success without writing anything.
      { reply: { text: 'All done, the report is written.' } },
      // Attempt 2: told what failed, it writes the file.
      {
        reply: {
          toolCalls: [{ name: 'file_write', arguments: { path: 'out/report.md', content: 'finished\n' } }],
        },
      },
      { reply: { text: 'Wrote out/report.md.' } },
    ]);
  });
  afterAll(() => env.close());

  it('reports each attempt per criterion and exits 0 with --exit-code once all pass', async () => {
    const run = await env.run([
      'run',
      '--json',
      '--exit-code',
      '--criterion',
      TEST_CRITERION,
      '--criterion',
      FILE_CRITERION,
      'write the report to out/report.md',
    ]);
    expect(run.status, run.stderr).toBe(0);
    // The directive is shown before execution, on stderr.
    expect(run.stderr).toMatch(/spec: directive\ngoal: write the report to out\/report\.md\n/);
    expect(run.stderr.indexOf('spec: directive')).toBeLessThan(run.stderr.indexOf('spec: attempt 1 of 3'));
    const outcome = outcomeOf(run.stdout);
    expect(outcome.passed).toBe(true);
    expect(outcome.directive.criteria.map((c) => c.kind)).toEqual(['test', 'file']);
    expect(outcome.attempts).toHaveLength(2);
    const [first, second] = outcome.attempts;
    expect(first!.passed).toBe(false);
    expect(first!.results.map((r) => [r.id, r.passed])).toEqual([
      ['c1', false],
      ['c2', false],
    ]);
    expect(first!.results[0]!.detail).toMatch(/^exit 2\b/);
    expect(first!.results[1]!.detail).toBe('out/report.md does not exist');
    expect(second!.results.every((r) => r.passed)).toBe(true);
    // Each attempt starts from a checkpoint, so a failed one can be undone.
    expect(first!.checkpointBefore).toMatch(/^[0-9a-f]{40}$/);
    expect(second!.checkpointBefore).toMatch(/^[0-9a-f]{40}$/);
    // The second attempt's prompt names what failed.
    const retry = env.requestText(1);
    expect(retry).toContain('Attempt 1 did not meet 2 acceptance criteria');
    expect(retry).toContain('out/report.md does not exist');
    expect(existsSync(join(env.workspace, 'out/report.md'))).toBe(true);

    // The directive and each attempt's evaluation are stored with the session.
    const show = env.sandbox.run('sessions', 'show', outcome.sessionId!);
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toContain('## Spec run');
    expect(show.stdout).toContain('state: passed (2 of 3 attempts)');
    expect(show.stdout).toContain(`- FAIL c1 ${TEST_CRITERION}: exit 2`);
    expect(show.stdout).toContain('- pass c2 file: out/report.md exists: out/report.md exists (9 bytes)');

    // Restoring the checkpoint before attempt 2 undoes what it wrote.
    const undo = env.sandbox.run('checkpoints', 'restore', second!.checkpointBefore!);
    expect(undo.status, undo.stderr).toBe(0);
    expect(existsSync(join(env.workspace, 'out/report.md'))).toBe(false);
  }, 60_000);
});

describe('spec run crystallized by the model, a free-text criterion judged by the model', () => {
  let env: AgentEnv;
  beforeAll(async () => {
    const directive = {
      goal: 'Write a short polite note to notes.txt',
      constraints: ['touch nothing else'],
      acceptance_criteria: ['file: notes.txt non-empty', 'The note is polite'],
    };
    env = await AgentEnv.start(E2E_APIS[0]!, [
      { reply: { text: `Here is the directive:\n${JSON.stringify(directive)}` } },
      {
        reply: {
          toolCalls: [{ name: 'file_write', arguments: { path: 'notes.txt', content: 'Thank you!\n' } }],
        },
      },
      { reply: { text: 'Done.' } },
      { reply: { text: '{"pass": true, "reason": "the note thanks the reader"}' } },
      // The second run: a proposed command criterion, under approval "ask".
      { reply: { text: JSON.stringify({ goal: 'g', acceptance_criteria: ['test: touch pwned.txt'] }) } },
      { reply: { text: 'ok' } },
      { reply: { text: '{"pass": false, "reason": "nothing shows it"}' } },
    ]);
  });
  afterAll(() => env.close());

  it("shows the crystallized directive, checks the file and takes the judge's verdict", async () => {
    const run = await env.run(['run', '--spec', '--json', '--exit-code', 'leave a polite note']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      'goal: Write a short polite note to notes.txt\nconstraint: touch nothing else\n',
    );
    const outcome = outcomeOf(run.stdout);
    expect(outcome.directive.criteria.map((c) => c.kind)).toEqual(['file', 'judge']);
    expect(outcome.attempts).toHaveLength(1);
    expect(outcome.attempts[0]!.results.map((r) => [r.passed, r.detail])).toEqual([
      [true, 'notes.txt exists (11 bytes)'],
      [true, 'the note thanks the reader'],
    ]);
    // The judge saw the evidence: the changed file and the mechanical result.
    const judged = env.requestText(3);
    expect(judged).toContain('added notes.txt');
    expect(judged).toContain('Criterion: The note is polite');
  }, 60_000);

  it('judges a command the model proposed instead of running it when commands need approval', async () => {
    const run = await env.run([
      'run',
      '--spec',
      '--json',
      '--max-attempts',
      '1',
      '--set',
      'tools.approval=ask',
      'x',
    ]);
    expect(run.status, run.stderr).toBe(0);
    const outcome = outcomeOf(run.stdout);
    expect(outcome.directive.criteria).toEqual([{ id: 'c1', kind: 'judge', text: 'test: touch pwned.txt' }]);
    expect(outcome.attempts[0]!.results[0]).toMatchObject({ passed: false, detail: 'nothing shows it' });
    expect(existsSync(join(env.workspace, 'pwned.txt'))).toBe(false);
  }, 60_000);
});

describe('spec run whose attempts run out', () => {
  let env: AgentEnv;
  beforeAll(async () => {
    env = await AgentEnv.start(E2E_APIS[0]!, [{ reply: { text: 'I will not do it.' }, times: 'always' }]);
  });
  afterAll(() => env.close());

  it("--exit-code exits 1 after --max-attempts attempts; without it the exit is the last run's", async () => {
    const args = ['run', '--json', '--max-attempts', '2', '--criterion', FILE_CRITERION, 'write the report'];
    const failed = await env.run([...args.slice(0, 1), '--exit-code', ...args.slice(1)]);
    expect(failed.status, failed.stderr).toBe(1);
    const outcome = outcomeOf(failed.stdout);
    expect(outcome.passed).toBe(false);
    expect(outcome.attempts.map((a) => a.passed)).toEqual([false, false]);
    expect(outcome.stopped).toBe('2 of 2 attempts did not meet every criterion');
    expect(failed.stderr).toContain('spec: not passed');

    const plain = await env.run(args);
    expect(plain.status, plain.stderr).toBe(0);
    expect(outcomeOf(plain.stdout).passed).toBe(false);
  }, 60_000);

  it('runs criterion commands in the sandbox: inside the workspace they write, outside they cannot', async () => {
    // A folder anybody may write to, so only the sandbox stands between the command and it.
    const open = join(env.sandbox.root, 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    const outside = join(open, 'escaped.txt');
    const outcome = await oneAttempt(env, [
      'test: echo inside > inside.txt',
      `test: echo pwned > ${outside}`,
    ]);
    expect(outcome.attempts[0]!.results[0]!.passed).toBe(true);
    // The sandbox may give the command a /tmp of its own: whatever it wrote there, the host has nothing.
    expect(existsSync(join(env.workspace, 'inside.txt'))).toBe(true);
    expect(existsSync(outside)).toBe(false);
  }, 60_000);

  it('checks json-schema criteria with the JSON Schema library', async () => {
    env.sandbox.write(
      'schema.json',
      JSON.stringify({ type: 'object', required: ['total'], properties: { total: { type: 'number' } } }),
    );
    env.sandbox.write('good.json', '{"total": 3}');
    env.sandbox.write('bad.json', '{"total": "three"}');
    const outcome = await oneAttempt(env, [
      'json-schema: good.json schema.json',
      'json-schema: bad.json schema.json',
      'json-schema: ../escape.json schema.json',
    ]);
    const [good, bad, outside] = outcome.attempts[0]!.results;
    expect(good).toMatchObject({ kind: 'json-schema', passed: true });
    expect(bad).toMatchObject({
      passed: false,
      detail: 'bad.json does not match schema.json: /total must be number',
    });
    expect(outside!.passed).toBe(false);
    expect(outside!.detail).toContain('../escape.json');
  }, 60_000);

  it('refuses malformed spec flags as usage errors', async () => {
    const zero = await env.run(['run', '--max-attempts', '0', '--criterion', FILE_CRITERION, 'x']);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toContain('--max-attempts 0: expected a whole number from 1 to 20');
    const empty = await env.run(['run', '--criterion', 'file:', 'x']);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('criterion "file:" names nothing to check');
    expect(empty.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
