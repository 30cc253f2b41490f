/**
 * A committed turn is made searchable in the background (behind the next model call, or after
 * the answer is shown), never at the cost of what a search sees: a search started after the
 * run waits for the indexing queued before it, and closing the kernel waits for all of it.
 */
import { join } from 'node:path';
import { tempWorkspace } from '@oxydra/testkit/helpers';
import { agentConfigSchema } from '@oxydra/types/config-full';
import Database from 'libsql';
import { afterEach, describe, expect, it } from 'vitest';
import { openWorkspaceMemory, sessionHooks } from '../src/assemble/memory.js';
import { closeAll, ON_POSTGRES, testKernel } from './helpers.js';

afterEach(closeAll);

// A long answer (many chunks to embed), so its indexing is still going when the run ends.
const filler = Array.from({ length: 4000 }, (_, i) => `Paragraph ${i} describes quay ${i % 97} at length.`);
const steps = [
  {
    reply: { text: `${filler.join(' ')} The harbour crane is painted vermilion.`, textChunks: 1 },
    times: 'always' as const,
  },
];

const config = agentConfigSchema.parse({
  selection: { provider: 'mock', model: 'm' },
  providers: { registry: { mock: { provider_type: 'openai', base_url: 'http://127.0.0.1:9/v1' } } },
});

describe('indexing a run in the background', () => {
  it('persist returns once the turn is stored; a search started then still finds it', async () => {
    const scratch = tempWorkspace({ prefix: 'oxydra-bg-index-' });
    const workspace = scratch.dir;
    const memory = await openWorkspaceMemory(config, workspace, {});
    try {
      const warnings: string[] = [];
      const { id: sessionId } = await memory.db.sessions.create();
      const hooks = sessionHooks(memory, {
        sessionId,
        config,
        warn: (message) => warnings.push(message),
        secrets: [],
      });
      await hooks.persist!([
        { role: 'user', content: 'What colour is the harbour crane?' },
        { role: 'assistant', content: 'The harbour crane is painted vermilion.' },
      ]);
      // No wait in between: the indexing queued by persist may not have started yet.
      const hits = await memory.retriever.search({ query: 'harbour crane vermilion' });
      expect(hits.some((hit) => hit.text.includes('vermilion'))).toBe(true);
      expect(warnings).toEqual([]);
    } finally {
      await memory.close();
      scratch.cleanup();
    }
  });

  it("a turn's recall does not wait for its own prompt's indexing, which closing the memory still waits for", async () => {
    const scratch = tempWorkspace({ prefix: 'oxydra-bg-index-' });
    const workspace = scratch.dir;
    const memory = await openWorkspaceMemory(config, workspace, {});
    const chunksOf = async (sessionId: string) =>
      Number(
        (
          await memory.db.client.execute({
            sql: 'SELECT count(*) AS n FROM chunks WHERE session_id = ?',
            args: [sessionId],
          })
        ).rows[0]?.n,
      );
    let closed = false;
    try {
      const warnings: string[] = [];
      // Another session, so recall has something to find (the recall gate).
      const other = await memory.db.sessions.create();
      const hooks = (sessionId: string) =>
        sessionHooks(memory, { sessionId, config, warn: (message) => warnings.push(message), secrets: [] });
      await hooks(other.id).persist!([{ role: 'user', content: 'The harbour crane is painted vermilion.' }]);
      await memory.retriever.search({ query: 'crane' });
      const { id: sessionId } = await memory.db.sessions.create();
      // A long prompt (many chunks to embed): its indexing is still going when recall answers.
      await hooks(sessionId).persist!([
        { role: 'user', content: `${filler.join(' ')} What colour is the crane?` },
      ]);
      const recalled = await hooks(sessionId).recall!(
        'What colour is the harbour crane?',
        new AbortController().signal,
      );
      expect(recalled).toEqual(['The harbour crane is painted vermilion.']);
      expect(await chunksOf(sessionId)).toBe(0);
      await memory.close();
      closed = true;
      const reopened = await openWorkspaceMemory(config, workspace, {});
      try {
        const found = await reopened.db.client.execute({
          sql: 'SELECT count(*) AS n FROM chunks WHERE session_id = ?',
          args: [sessionId],
        });
        expect(Number(found.rows[0]?.n)).toBeGreaterThan(100);
      } finally {
        await reopened.close();
      }
      expect(warnings).toEqual([]);
    } finally {
      if (!closed) await memory.close();
      scratch.cleanup();
    }
  });

  it('a search right after the run finds its conversation', async () => {
    const { kernel } = await testKernel(steps);
    const result = await kernel.agents.spawn({ prompt: 'What colour is the harbour crane?' }).result;
    expect(result.status).toBe('completed');
    const hits = await (await kernel.service('memory')).recall('harbour crane vermilion');
    expect(hits.some((hit) => hit.text.includes('vermilion'))).toBe(true);
  });

  // libSQL only: reads the index from memory.db, the libSQL file
  it.skipIf(ON_POSTGRES)(
    'closing the kernel waits for the indexing: another process finds the conversation',
    async () => {
      const test = await testKernel(steps);
      const result = await test.kernel.agents.spawn({ prompt: 'What colour is the harbour crane?' }).result;
      expect(result.status).toBe('completed');
      await test.kernel.close();
      // Read as another process would, with its own connection.
      const db = new Database(join(test.workspace, '.oxydra', 'memory.db'), { readonly: true });
      try {
        const row = db
          .prepare(`SELECT count(*) AS n FROM chunks WHERE source_type = 'conversation' AND text LIKE ?`)
          .get('%vermilion%') as { n: number };
        expect(Number(row.n)).toBeGreaterThan(0);
      } finally {
        db.close();
      }
    },
  );
});
