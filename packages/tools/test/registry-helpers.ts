/**
 * Shared by registry-pipeline.test.ts and registry-approval.test.ts: tools that record their runs
 * or wait for their signal, and a call of one.
 */
import type { Tool } from '@oxydra/types';
import { z } from 'zod';
import { defineTool } from '../src/index.js';

/** Records every run, so tests can assert a tool did or did not execute. */
export function recorder() {
  const runs: Record<string, unknown>[] = [];
  const signals: AbortSignal[] = [];
  const tool = (
    name: string,
    safety: Tool['safety'],
    reply: (args: { text: string }) => string = (a) => a.text,
  ) =>
    defineTool({
      name,
      description: `${name} for tests`,
      parameters: z.object({ text: z.string() }),
      safety,
      execute: async (args, ctx) => {
        runs.push(args);
        signals.push(ctx.signal);
        return reply(args);
      },
    });
  return { runs, signals, tool };
}

/** Waits until its signal aborts (or ~forever), then reports it. */
export function waiter(name: string, timeoutMs?: number) {
  const seen: { signal?: AbortSignal } = {};
  const tool = defineTool({
    name,
    description: 'waits',
    parameters: z.object({}),
    safety: 'read_only',
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    execute: (_args, ctx) => {
      seen.signal = ctx.signal;
      return new Promise<string>((_resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('never aborted')), 60_000);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new Error('aborted'));
        });
      });
    },
  });
  return { tool, seen };
}

export const call = (name: string, args: Record<string, unknown> = { text: 'hi' }, parseError?: string) => ({
  id: 'c1',
  name,
  arguments: args,
  ...(parseError === undefined ? {} : { parseError }),
});
