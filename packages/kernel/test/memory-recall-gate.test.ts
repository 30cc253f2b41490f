/**
 * Recall searches only when there is something to find outside the current session (a note, or
 * another session's conversation): a first run in a fresh workspace neither embeds its query nor
 * searches, and recall finds notes and earlier conversations as soon as they exist.
 */

import { type TempWorkspace, tempWorkspace } from '@oxydra/testkit/helpers';
import { agentConfigSchema } from '@oxydra/types/config-full';
import { afterEach, describe, expect, it } from 'vitest';
import { openWorkspaceMemory, sessionHooks, type WorkspaceMemory } from '../src/assemble/memory.js';

const config = agentConfigSchema.parse({
  selection: { provider: 'mock', model: 'm' },
  providers: { registry: { mock: { provider_type: 'openai', base_url: 'http://127.0.0.1:9/v1' } } },
});
const opened: { memory: WorkspaceMemory; scratch: TempWorkspace }[] = [];

afterEach(async () => {
  for (const { memory, scratch } of opened.splice(0)) {
    await memory.close();
    scratch.cleanup();
  }
});

/** A fresh workspace's memory whose retriever counts its searches. */
async function countingMemory(): Promise<{ memory: WorkspaceMemory; searches: () => number }> {
  const scratch = tempWorkspace({ prefix: 'oxydra-recall-gate-' });
  const memory = await openWorkspaceMemory(config, scratch.dir, {});
  opened.push({ memory, scratch });
  let searches = 0;
  const search = memory.retriever.search.bind(memory.retriever);
  memory.retriever.search = (query) => {
    searches += 1;
    return search(query);
  };
  return { memory, searches: () => searches };
}

function recallIn(memory: WorkspaceMemory, sessionId: string) {
  const hooks = sessionHooks(memory, { sessionId, config, warn: () => {}, secrets: [] });
  return { recall: hooks.recall!, persist: hooks.persist! };
}

describe('recall in a workspace with nothing to recall', () => {
  it('does not search while the only session is the current one and there is no note', async () => {
    const { memory, searches } = await countingMemory();
    const { id } = await memory.db.sessions.create();
    const { recall, persist } = recallIn(memory, id);
    await persist([
      { role: 'user', content: 'The harbour crane is painted vermilion.' },
      { role: 'assistant', content: 'Noted: vermilion.' },
    ]);
    expect(await recall('harbour crane vermilion', AbortSignal.timeout(10_000))).toEqual([]);
    expect(searches()).toBe(0);
  });

  it("finds another session's conversation once one is stored", async () => {
    const { memory, searches } = await countingMemory();
    const { id: earlier } = await memory.db.sessions.create();
    await recallIn(memory, earlier).persist([
      { role: 'user', content: 'What colour is the harbour crane?' },
      { role: 'assistant', content: 'The harbour crane is painted vermilion.' },
    ]);
    const { id: current } = await memory.db.sessions.create();
    const hits = await recallIn(memory, current).recall(
      'harbour crane vermilion',
      AbortSignal.timeout(10_000),
    );
    expect(hits).toContainEqual(expect.stringContaining('vermilion'));
    expect(searches()).toBe(1);
  });

  it('finds a note saved in the current session, with no other session', async () => {
    const { memory } = await countingMemory();
    const { id } = await memory.db.sessions.create();
    const { recall } = recallIn(memory, id);
    // Asked once before the note exists: the answer "nothing" is not kept.
    expect(await recall('harbour crane', AbortSignal.timeout(10_000))).toEqual([]);
    await memory.db.notes.save({ content: 'The harbour crane is painted vermilion.' });
    const hits = await recall('harbour crane vermilion', AbortSignal.timeout(10_000));
    expect(hits).toContainEqual(expect.stringContaining('vermilion'));
  });
});
