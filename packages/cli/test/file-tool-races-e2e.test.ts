/**
 * File tools that cannot be blocked or raced, end to end: the real `oxydra run --json`, driven
 * by the testkit's scripted mock model. The model reads FIFOs in one parallel batch (once enough
 * to take every thread of the pool until a restart), and edits a file while a concurrent writer
 * flips its folder into a link to .oxydra/ and to a folder outside. Each run must finish on its
 * own, the FIFOs refused, later tools still working, and nothing outside or in .oxydra/ changed.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from '@oxydra/testkit/helpers';
import { startSwapper } from '@oxydra/tools/testing/swapper';
import type { ToolExecutionEndEvent } from '@oxydra/types';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS, type RunOutput } from './agent-env.js';
import { outsideDir, removeDir } from './attack-helpers.js';

interface Call {
  name: string;
  arguments: Record<string, unknown>;
}

let env: AgentEnv | undefined;
let running: ChildProcess | undefined;
let outside: string;
beforeAll(() => {
  outside = outsideDir();
});
afterAll(() => removeDir(outside));
afterEach(async () => {
  // A run that never ended (the failure these tests catch) is not left behind.
  if (running && running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
  running = undefined;
  await env?.close();
  env = undefined;
});

/** One model answer per batch of calls (read-only calls in a batch run in parallel), then "Done.". */
async function runBatches(
  batches: Call[][],
  prepare: (env: AgentEnv) => void,
  during?: (child: ChildProcess) => Promise<void>,
  /** Streams the last batch slowly (ms between events): time for `during` to act before it runs. */
  slowLastMs?: number,
): Promise<{ run: RunOutput; ends: ToolExecutionEndEvent[] }> {
  env = await AgentEnv.start(E2E_APIS[0]!, [
    ...batches.map((toolCalls, i) =>
      i === batches.length - 1 && slowLastMs !== undefined
        ? { reply: { toolCalls }, fault: { slowChunksMs: slowLastMs } }
        : { reply: { toolCalls } },
    ),
    { reply: { text: 'Done.' }, times: 'always' as const },
  ]);
  prepare(env);
  const run = await env.run(['run', '--json', 'Use the files.'], async (child) => {
    running = child;
    await during?.(child);
  });
  const ends = run.events.filter((e): e is ToolExecutionEndEvent => e.type === 'tool_execution_end');
  return { run, ends };
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const tool = (name: string, args: Record<string, unknown>): Call => ({ name, arguments: args });

describe('file tools end to end', () => {
  it('FIFOs read in one parallel batch are refused at once, and later file tools still work', async () => {
    const pipes = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];
    const { run, ends } = await runBatches(
      [
        pipes.map((path) => tool('file_read', { path })),
        [tool('file_search', { path: 'p0', query: 'x' }), tool('file_list', { path: 'p1' })],
        [tool('file_edit', { path: 'p2', old_text: 'a', new_text: 'b' })],
        [tool('file_read', { path: 'notes.txt' })],
      ],
      (e) => {
        for (const pipe of pipes) spawnSync('mkfifo', [join(e.workspace, pipe)]);
        e.sandbox.write('notes.txt', 'still readable\n');
      },
    );
    expect(run.status).toBe(0);
    expect(ends.map((end) => end.name)).toEqual([
      ...pipes.map(() => 'file_read'),
      'file_search',
      'file_list',
      'file_edit',
      'file_read',
    ]);
    // The batch runs in parallel: its results come in the order the reads ended.
    const refused = ends
      .slice(0, pipes.length)
      .map((end) => /not a regular file \(FIFO\): (p\d)/.exec(end.content)?.[1]);
    expect(refused.sort()).toEqual(pipes);
    expect(ends[6]!.content).toContain('not a regular file (FIFO): p0');
    expect(ends[7]!.content).toContain('p1 is not a directory (FIFO)');
    expect(ends[8]!.content).toContain('not a regular file (FIFO): p2');
    expect(ends[9]).toMatchObject({ isError: false, content: 'still readable\n' });
  });

  it('edits racing a folder flipped into a link never change .oxydra/agent.toml or a file outside', async () => {
    const victim = join(outside, 'agent.toml');
    // Both the config and the outside file hold the text the edits replace.
    writeFileSync(victim, 'provider = "mock"\n');
    const edits: Call[] = [];
    for (let i = 0; i < 40; i++) {
      // Each call different: the runtime stops a run that repeats one failing call.
      const pwned = `"pwned-${i}"`;
      edits.push(tool('file_edit', { path: 'sub/agent.toml', old_text: '"mock"', new_text: pwned }));
      edits.push(tool('file_edit', { path: 'sub/agent.toml', old_text: pwned, new_text: '"mock"' }));
      edits.push(tool('file_write', { path: 'sub/new.txt', content: `pwned ${i}` }));
    }
    let config = '';
    let configSha = '';
    let flips = 0;
    // After the races, with the folder left alone: the control, which must work.
    const control = [tool('file_write', { path: 'sub/control.txt', content: 'control' })];
    const { run, ends } = await runBatches(
      // Side-effecting calls run one after the other; two batches, one per link target.
      [edits, edits, control],
      (e) => {
        mkdirSync(join(e.workspace, 'sub'));
        e.sandbox.write('sub/agent.toml', 'provider = "mock"\n');
        config = join(e.workspace, '.oxydra', 'agent.toml');
        configSha = sha(config);
      },
      async (child) => {
        const workspace = env!.workspace;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        const ended = () => child.exitCode !== null || child.signalCode !== null;
        const toInternal = startSwapper(join(workspace, 'sub'), join(workspace, '.oxydra'));
        // The first batch's results reach the model in its second request.
        await pollUntil(() => env!.mock.requests.length >= 2 || ended(), "the model's second request", {
          timeoutMs: 60_000,
        });
        flips += await toInternal.stop();
        const toOutside = startSwapper(join(workspace, 'sub'), outside);
        // The second batch's results arrive with the third request: the control runs unraced.
        await pollUntil(() => env!.mock.requests.length >= 3 || ended(), "the model's third request", {
          timeoutMs: 60_000,
        });
        flips += await toOutside.stop();
        await exited;
      },
      200,
    );
    expect(run.status).toBe(0);
    expect(ends).toHaveLength(2 * edits.length + 1);
    expect(flips).toBeGreaterThan(0);
    expect(sha(config)).toBe(configSha);
    expect(
      readdirSync(join(env!.workspace, '.oxydra')).filter((name) => name.includes('oxydra-tmp')),
    ).toEqual([]);
    expect(readFileSync(victim, 'utf8')).toBe('provider = "mock"\n');
    expect(readdirSync(outside).sort()).toEqual(['agent.toml']);
    // The control: once the folder stays itself, the same tools write into it as usual.
    expect(ends.at(-1)).toMatchObject({ name: 'file_write', isError: false });
    expect(readFileSync(join(env!.workspace, 'sub', 'control.txt'), 'utf8')).toBe('control');
  });
});
