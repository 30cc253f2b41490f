/**
 * With network = "on", whether landlock can scope abstract sockets is asked by spawning perl.
 * Before, assembling a kernel asked it (a synchronous perl before any command, in every process,
 * even a run that ran none); now the first command asks it, once. Counted at the real spawn:
 * node:child_process's functions are wrapped (syncBuiltinESMExports reaches the built packages'
 * own imports), and a real bubblewrap runs the commands.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { detectSandbox } from '@oxydra/sandbox/detect';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeAll, testKernel } from './helpers.js';

const PERL = '/usr/bin/perl';
const childProcess = createRequire(import.meta.url)('node:child_process') as Record<string, unknown>;
const WRAPPED = ['spawn', 'spawnSync', 'execFile', 'execFileSync'] as const;
const originals = new Map<string, unknown>();
let perlSpawns = 0;

beforeEach(() => {
  perlSpawns = 0;
  for (const name of WRAPPED) {
    const original = childProcess[name] as (...args: unknown[]) => unknown;
    originals.set(name, original);
    childProcess[name] = (...args: unknown[]) => {
      if (args[0] === PERL) perlSpawns += 1;
      return original(...args);
    };
  }
  syncBuiltinESMExports();
});

afterEach(async () => {
  await closeAll();
  for (const [name, original] of originals) childProcess[name] = original;
  syncBuiltinESMExports();
});

const hasBubblewrap = process.platform === 'linux' && detectSandbox().tier === 'bubblewrap';

describe.skipIf(!hasBubblewrap)('network = "on": the abstract-socket probe', () => {
  it('spawns no perl while the kernel is assembled; the first command probes, once', async () => {
    const echo = (text: string) => ({
      reply: { toolCalls: [{ name: 'shell_exec', arguments: { command: `echo ${text}` } }] },
    });
    const warnings: string[] = [];
    const { kernel, mock } = await testKernel(
      [echo('first'), echo('second'), { reply: { text: 'done' }, times: 'always' }],
      // run_as = "root": the test's workspace is root's and closed to other uids.
      { tools: { sandbox: { mode: 'bubblewrap', network: 'on', run_as: 'root' } } },
      { warn: (message) => warnings.push(message) },
    );
    expect(perlSpawns).toBe(0);
    const agent = kernel.agents.spawn({ prompt: 'run two commands' });
    expect((await agent.result).status).toBe('completed');
    const results = mock.requests
      .flatMap((request) => (request.body as { messages: { role: string; content: string }[] }).messages)
      .filter((message) => message.role === 'tool')
      .map((message) => message.content);
    expect(results.join('\n')).toContain('second');
    expect(perlSpawns).toBe(1);
    // Said (once) only where this kernel lacks the scope.
    expect(warnings.filter((w) => w.includes('abstract Unix sockets')).length).toBeLessThanOrEqual(1);
  });
});
