/**
 * startAgentRun's own failure path (run.ts): a throw that escapes the loop ends the run failed
 * with internal_error, after which its event stream ends.
 */
import { describe, expect, it } from 'vitest';
import { startAgentRun } from '../src/index.js';
import { runOptions, scriptedProvider } from './helpers.js';

describe('startAgentRun', () => {
  it('a throw escaping the loop (here an onEvent that throws) fails the run with internal_error and closes its events', async () => {
    const seen: string[] = [];
    const run = startAgentRun(
      runOptions(scriptedProvider([{ text: 'hi' }]), {
        onEvent: (event) => {
          seen.push(event.type);
          if (event.type === 'run_completed') throw new Error('the listener broke');
        },
      }),
    );
    const streamed: string[] = [];
    for await (const event of run.events) streamed.push(event.type);
    const result = await run.result;
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({
      code: 'internal_error',
      message: expect.stringContaining('the listener broke'),
    });
    // The stream ended (the loop above returned) and holds what the listener was given.
    expect(streamed).toContain('run_completed');
    expect(seen).toEqual(streamed);
  });
});
