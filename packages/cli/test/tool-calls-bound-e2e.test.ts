/**
 * One model answer's calls through the real binary: an answer of 300 `file_search` calls (a
 * model steered by a page it read) ran them all at once, each an `rg` process on the host (3,000
 * calls were 3,000 processes at the same time). Now at most MAX_PARALLEL_CALLS (8) run at once,
 * and the calls past MAX_CALLS_PER_ANSWER (128) are not run, which the model is told.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentEnv, E2E_APIS } from './agent-env.js';

const COUNT = 300;
let env: AgentEnv;
beforeAll(async () => {
  env = await AgentEnv.start(E2E_APIS[0]!, [
    {
      reply: {
        toolCalls: Array.from({ length: COUNT }, (_, i) => ({
          name: 'file_search',
          arguments: { path: '.', query: `needle${i}` },
        })),
      },
    },
    { reply: { text: 'done' } },
  ]);
  for (let i = 0; i < 50; i += 1) env.sandbox.write(`src/f${i}.txt`, 'hello\n'.repeat(2000));
});
afterAll(() => env.close());

/** The `rg` processes whose parent is `pid`, from /proc. */
function rgChildren(pid: number): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      if (comm === 'rg' && ppid === pid) count += 1;
    } catch {
      // gone meanwhile
    }
  }
  return count;
}

describe('the tool calls of one answer', () => {
  it('run a few at a time, and those past the bound are answered unrun', async () => {
    let most = 0;
    const run = await env.run(['run', '--json', 'search for the needles'], async (child) => {
      const timer = setInterval(() => {
        most = Math.max(most, rgChildren(child.pid!));
      }, 5);
      await new Promise((resolve) => child.once('exit', resolve));
      clearInterval(timer);
    });
    expect(run.status).toBe(0);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(8);
    const second = JSON.stringify(env.mock.requests[1]?.body);
    expect(second).toContain(
      'not run: one answer may make at most 128 tool calls, and this was call 136 of 300; calls 137 to 300 were not run either',
    );
    // Only the first 136 calls are kept (tool-calls-kept-e2e.test.ts): 8 of them answered unrun.
    expect(second.split('not run: one answer').length - 1).toBe(136 - 128);
  }, 120_000);
});
