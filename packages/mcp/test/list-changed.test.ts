/**
 * What the third-party servers cannot trigger on demand, shown with a trivial SDK server
 * (fixtures/trivial-server.mjs), sandboxed like any stdio server: a tools/list_changed
 * notification refreshes the list and tells the onChange listeners, and a cancelled call
 * reaches the server as notifications/cancelled.
 */
import { pollUntil } from '@oxydra/testkit/helpers';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { McpServerSource } from '../src/index.js';
import {
  call,
  FIXTURES,
  NODE_MODULES,
  removeWorkspaces,
  said,
  sandboxProblem,
  sources,
  TRIVIAL_SERVER,
  tool,
} from './helpers.js';

const problem = sandboxProblem();
const opened: McpServerSource[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});
afterAll(removeWorkspaces);

async function trivial(): Promise<McpServerSource> {
  const [source] = sources({
    trivial: { command: 'node', args: [TRIVIAL_SERVER], read_paths: [NODE_MODULES, FIXTURES] },
  });
  opened.push(source!);
  await source!.start();
  return source!;
}

describe.skipIf(problem !== undefined)(
  `list changes and cancellation${problem ? ` (skipped: ${problem})` : ''}`,
  () => {
    it('refreshes the tool list on tools/list_changed and tells the listeners', async () => {
      const source = await trivial();
      let changes = 0;
      const off = source.onChange(() => changes++);
      expect(source.tools().map((t) => t.name)).not.toContain('trivial__fresh_tool');
      expect(await said(source, 'trivial__add_tool', { name: 'fresh_tool' })).toBe('added fresh_tool');
      await pollUntil(() => source.tools().some((t) => t.name === 'trivial__fresh_tool'), 'the new tool', {
        timeoutMs: 20_000,
      });
      expect(changes).toBeGreaterThanOrEqual(1);
      expect(tool(source, 'trivial__fresh_tool').safety).toBe('read_only');
      expect(await said(source, 'trivial__fresh_tool', {})).toBe('fresh_tool');
      off();
      await call(source, 'trivial__add_tool', { name: 'second_tool' });
      await pollUntil(
        () => source.tools().some((t) => t.name === 'trivial__second_tool'),
        'the second tool',
        { timeoutMs: 20_000 },
      );
      const seen = changes;
      expect(seen).toBeGreaterThanOrEqual(1);
      // Unsubscribed: no more calls.
      await call(source, 'trivial__add_tool', { name: 'third_tool' });
      await pollUntil(() => source.tools().some((t) => t.name === 'trivial__third_tool'), 'the third tool', {
        timeoutMs: 20_000,
      });
      expect(changes).toBe(seen);
    });

    it('tells the server when a call is cancelled', async () => {
      const source = await trivial();
      const controller = new AbortController();
      const waiting = tool(source, 'trivial__wait').execute(
        { ms: 60_000 },
        // The server reports progress once the wait is under way: cancel then.
        {
          workspace: '/',
          signal: controller.signal,
          onProgress: () => controller.abort(new Error('user pressed stop')),
        },
      );
      await expect(waiting).rejects.toThrow('user pressed stop');
      const count = await pollUntil(async () => {
        const counted = await said(source, 'trivial__cancellations', {});
        return counted === '0' ? undefined : counted;
      }, 'the server to count the cancellation');
      expect(count).toBe('1');
    });
  },
);
